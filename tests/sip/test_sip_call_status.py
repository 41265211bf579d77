"""How a phone call's last status and its participant's disconnect reason give its end."""

import pytest
from livekit import api as lk

from api.telephony.call_status import WatchedCall, final_status

pytestmark = pytest.mark.unit

REJECTED = lk.DisconnectReason.USER_REJECTED
UNAVAILABLE = lk.DisconnectReason.USER_UNAVAILABLE
HUNG_UP = lk.DisconnectReason.CLIENT_INITIATED


def call(direction: str, status: str) -> WatchedCall:
    return WatchedCall(
        project_id="prj_1",
        room_name="p1_call-1",
        identity="phone-call_1",
        direction=direction,  # type: ignore[arg-type]
        phone_number="+14155550123",
        status=status,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("direction", "status", "reason", "ended"),
    [
        ("outbound", "in_progress", HUNG_UP, "completed"),
        ("outbound", "in_progress", None, "completed"),
        ("outbound", "ringing", REJECTED, "busy"),  # 486 Busy Here, 603 Decline
        ("outbound", "ringing", UNAVAILABLE, "no_answer"),  # 480, 408, ringing timeout
        ("outbound", "initiating", HUNG_UP, "failed"),
        ("outbound", "ringing", None, "failed"),
        ("inbound", "ringing", HUNG_UP, "completed"),  # the caller gave up while it rang
        ("inbound", "in_progress", HUNG_UP, "completed"),
    ],
)
def test_a_call_ends_with_the_status_its_last_state_and_reason_give(
    direction: str, status: str, reason: int | None, ended: str
) -> None:
    assert final_status(call(direction, status), reason) == ended
