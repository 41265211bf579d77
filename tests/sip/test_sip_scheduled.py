"""`POST /sip/dial` with `scheduled_at`: checked at once, queued in the database, dialled by
the control plane's poller when due, even by a control plane started after it was queued."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import create_async_engine

from api.app import create_app
from api.settings import ApiSettings
from api.telephony.dial_recovery import STUCK_AFTER
from api.telephony.models import ScheduledSipCall, SipCall
from tests.api.test_events_catalogue import events_of
from tests.sip.bridge import SipBridge

pytestmark = pytest.mark.integration

US_NUMBER = "+14155550123"
OUTBOUND_TRUNK = {
    "name": "carrier",
    "numbers": ["+14155550100"],
    "outbound": {"address": "sip.carrier.example", "transport": "udp"},
}


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def ready_to_dial(client, admin) -> None:  # type: ignore[no-untyped-def]
    trunk = await client.post("/api/v1/sip/trunks", json=OUTBOUND_TRUNK, headers=admin.headers)
    assert trunk.status_code == 201, trunk.text
    policy = await client.put(
        "/api/v1/sip/policy", json={"allowed_prefixes": ["+1"]}, headers=admin.headers
    )
    assert policy.status_code == 200, policy.text


async def test_a_scheduled_call_waits_is_listed_and_can_be_cancelled_once(client, admin):
    await ready_to_dial(client, admin)
    queued = await client.post(
        "/api/v1/sip/dial",
        json={"phone_number": US_NUMBER, "scheduled_at": at(timedelta(hours=1))},
        headers=admin.headers,
    )
    assert queued.status_code == 201, queued.text
    call = queued.json()["call"]
    assert call["status"] == "scheduled"
    assert queued.json()["token"] is None
    assert call["full_room_name"].endswith(call["room_name"])

    listed = (await client.get("/api/v1/sip/scheduled", headers=admin.headers)).json()
    assert [c["id"] for c in listed["scheduled_calls"]] == [call["id"]]
    assert listed["scheduled_calls"][0]["status"] == "scheduled"

    cancelled = await client.delete(f"/api/v1/sip/scheduled/{call['id']}", headers=admin.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["scheduled_call"]["status"] == "cancelled"
    again = await client.delete(f"/api/v1/sip/scheduled/{call['id']}", headers=admin.headers)
    assert again.status_code == 409
    missing = await client.delete("/api/v1/sip/scheduled/call_nope", headers=admin.headers)
    assert missing.status_code == 404


async def test_scheduling_checks_the_call_at_once(client, admin):
    await ready_to_dial(client, admin)
    past = await client.post(
        "/api/v1/sip/dial",
        json={"phone_number": US_NUMBER, "scheduled_at": at(-timedelta(minutes=5))},
        headers=admin.headers,
    )
    assert past.status_code == 409, past.text
    assert past.json()["details"] == {"field": "scheduled_at", "reason": "in_the_past"}
    abroad = await client.post(
        "/api/v1/sip/dial",
        json={"phone_number": "+442079460958", "scheduled_at": at(timedelta(hours=1))},
        headers=admin.headers,
    )
    assert abroad.status_code == 409, abroad.text
    no_agent = await client.post(
        "/api/v1/sip/dial",
        json={
            "phone_number": US_NUMBER,
            "agent_config_id": "agt_missing",
            "scheduled_at": at(timedelta(hours=1)),
        },
        headers=admin.headers,
    )
    assert no_agent.status_code == 404, no_agent.text
    listed = (await client.get("/api/v1/sip/scheduled", headers=admin.headers)).json()
    assert listed["total"] == 0


async def queued_by_a_first_control_plane(settings: ApiSettings, admin) -> str:  # type: ignore[no-untyped-def]
    """A call scheduled in an hour through a control plane that then stops; its id."""
    async with AsyncTestClient(app=create_app(settings)) as first:
        await ready_to_dial(first, admin)
        queued = await first.post(
            "/api/v1/sip/dial",
            json={"phone_number": US_NUMBER, "scheduled_at": at(timedelta(hours=1))},
            headers=admin.headers,
        )
        assert queued.status_code == 201, queued.text
    return str(queued.json()["call"]["id"])


async def test_a_call_that_came_due_while_the_control_plane_was_down_is_dialled_after_start(
    settings: ApiSettings, admin, sip_bridge: SipBridge
) -> None:
    call_id = await queued_by_a_first_control_plane(settings, admin)
    # The hour passes while no control plane runs.
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as connection:
        await connection.execute(
            update(ScheduledSipCall.__table__).values(  # type: ignore[arg-type]
                scheduled_at=datetime.now(UTC) - timedelta(seconds=1)
            )
        )
    await engine.dispose()

    async with AsyncTestClient(app=create_app(settings)) as second:
        for _ in range(150):
            listed = (await second.get("/api/v1/sip/scheduled", headers=admin.headers)).json()
            (row,) = listed["scheduled_calls"]
            if row["status"] not in ("scheduled", "dialing"):
                break
            await asyncio.sleep(0.2)
    assert row["id"] == call_id
    # LiveKit took the INVITE (the carrier's address leads nowhere: the call fails later,
    # as `call.status` events say, not the queue)
    assert (row["status"], row["error"]) == ("dialed", None), row


async def test_a_dial_left_half_done_by_a_killed_control_plane_fails_after_a_bound(
    settings: ApiSettings, admin
) -> None:
    await queued_by_a_first_control_plane(settings, admin)
    # The first control plane was killed while it dialled: the scheduled call claimed, and
    # another call recorded but never watched nor INVITEd, both long ago; a third call is
    # being dialled right now by a control plane that is alive.
    long_ago = datetime.now(UTC) - STUCK_AFTER - timedelta(minutes=1)
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as connection:
        await connection.execute(
            update(ScheduledSipCall.__table__).values(  # type: ignore[arg-type]
                status="dialing", updated_at=long_ago
            )
        )
        for call_id, created_at in (("call_killed", long_ago), ("call_now", datetime.now(UTC))):
            await connection.execute(
                insert(SipCall.__table__).values(  # type: ignore[arg-type]
                    id=call_id, project_id=admin.project_id, trunk_id="trk_x",
                    room_name=f"room-{call_id}", phone_number=US_NUMBER,
                    caller_id="+14155550100", participant_identity=f"phone-{call_id}",
                    status="initiating", max_duration_s=60, created_at=created_at,
                )
            )  # fmt: skip
    await engine.dispose()

    async with AsyncTestClient(app=create_app(settings)) as second:
        for _ in range(100):
            listed = (await second.get("/api/v1/sip/scheduled", headers=admin.headers)).json()
            (row,) = listed["scheduled_calls"]
            if row["status"] != "dialing":
                break
            await asyncio.sleep(0.1)
        policy = (await second.get("/api/v1/sip/policy", headers=admin.headers)).json()["policy"]
    assert (row["status"], row["error"]) == ("failed", "interrupted"), row
    failed = [
        e.data
        for e in await events_of(settings.database_url, admin.project_id)
        if e.event_type == "call.status" and e.data["status"] == "failed"
    ]
    assert [(e["call_id"], e["reason"]) for e in failed] == [("call_killed", "interrupted")]
    assert policy["active_calls"] == 1  # the call being dialled now is still counted
