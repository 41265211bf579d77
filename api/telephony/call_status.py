"""`call.status` of phone calls, both directions: initiating → ringing → in_progress, then
completed, or failed / no_answer / busy.

livekit-sip keeps a call's state in its participant's `sip.callStatus` attribute (dialing,
ringing, active, hangup), which no LiveKit webhook reports. So every live call is watched:
a Redis hash holds it from the INVITE (dial-out) or the phone participant's arrival
(dial-in), each pass reads the attribute through the Room API, and the participant's
`participant_left` webhook (its disconnect reason tells busy from no answer) ends it. A call
whose participant vanished without that webhook is ended by the watch after a grace period.
Each status is written once per call (its dedupe key), whichever replica sees it first.

Transfers add to that: each step of one (hold, briefing, bridge, giving the caller back; the
REFER of a cold one) is a `call.status` event of the phone's call at its current status whose
`transfer` says which step, and the person a warm transfer dials is a call of its own, watched
like a dial-out, whose events carry the transfer too. Once caller and person are bridged, the
first of them to hang up hangs up the other (the room is removed).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from typing import Final, Literal

from livekit import api as lk

from api.db import utcnow
from api.errors import ApiError, NotFound
from api.events import catalogue, outbox
from api.resources import Resources
from api.rooms.services import hang_up, livekit_call
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.telephony.models import SipCall

logger = logging.getLogger(__name__)

_WATCHED: Final = "vx:sipcalls"
GONE_GRACE_S: Final = 10.0
"""How long a vanished participant waits for its `participant_left` webhook."""
BRIDGED_TTL_S: Final = 7200
"""How long a bridged warm transfer is remembered: longer than any call lasts."""

TransferStep = Literal["on_hold", "briefing", "bridged", "returned", "referred"]

CallStatus = Literal[
    "initiating", "ringing", "in_progress", "completed", "failed", "no_answer", "busy"
]
_ORDER: Final = {"initiating": 0, "ringing": 1, "in_progress": 2}
_FROM_ATTRIBUTE: Final[dict[str, CallStatus]] = {
    "dialing": "initiating",
    "ringing": "ringing",
    "automation": "in_progress",
    "active": "in_progress",
}


@dataclass(frozen=True, slots=True)
class WatchedCall:
    project_id: str
    room_name: str
    identity: str
    """The phone participant's identity."""
    direction: Literal["inbound", "outbound"]
    phone_number: str
    """The other party: the caller (dial-in) or the callee (dial-out)."""
    session_id: str | None = None
    call_id: str | None = None
    """The `SipCall` row of a dial-out."""
    status: CallStatus = "initiating"
    gone_since: float | None = None
    answered_by: str | None = None
    """Of a dial-out with answering-machine detection: human, machine or unknown."""
    voicemail: str | None = None
    """What the agent did when a machine answered: left_message or hung_up."""
    transfer: dict[str, str] | None = None
    """Of the person a warm transfer dials: the transfer (see `transfer_of`)."""

    @property
    def field(self) -> str:
        return f"{self.room_name}\x1f{self.identity}"


def dial_out(row: SipCall) -> WatchedCall:
    """The call a `SipCall` row places, as the watch knows it."""
    return WatchedCall(
        project_id=row.project_id,
        room_name=row.room_name,
        identity=row.participant_identity,
        direction="outbound",
        phone_number=row.phone_number,
        session_id=row.session_id,
        call_id=row.id,
    )


def transfer_of(
    transfer_id: str,
    mode: Literal["cold", "warm"],
    leg: Literal["caller", "person"],
    step: TransferStep | None = None,
) -> dict[str, str]:
    """The `transfer` of a `call.status` event: which transfer (`xfr_...`: the caller's steps
    and the person's call share it), cold or warm, whose call (the caller's or the person's)
    and, on the caller's call, the step."""
    return {"id": transfer_id, "mode": mode, "leg": leg} | ({"step": step} if step else {})


async def _record(
    resources: Resources,
    call: WatchedCall,
    status: CallStatus,
    reason: str | None = None,
    *,
    transfer: dict[str, str] | None = None,
) -> None:
    transfer = transfer or call.transfer
    dedupe_key = f"callstatus:{call.room_name}:{call.identity}:{status}"
    if transfer and "step" in transfer:
        dedupe_key += f":{transfer['id']}:{transfer['step']}"
    data = {
        "room_name": call.room_name,
        "phone_number": call.phone_number,
        "status": status,
        "direction": call.direction,
        "session_id": call.session_id,
        "call_id": call.call_id,
        **({"reason": reason} if reason else {}),
        **({"answered_by": call.answered_by} if call.answered_by else {}),
        **({"voicemail": call.voicemail} if call.voicemail else {}),
        **({"transfer": transfer} if transfer else {}),
    }
    async with resources.sessions() as db:
        await outbox.record_once(
            db,
            call.project_id,
            catalogue.CALL_STATUS,
            data,
            dedupe_key=dedupe_key,
            session_id=call.session_id,
            room_name=call.room_name,
        )
        if call.call_id is not None:
            row = await db.get(SipCall, call.call_id)
            if row is not None:
                row.status = status
                if status not in _ORDER and row.ended_at is None:
                    row.ended_at = utcnow()
                db.add(row)
        await db.commit()


async def _save(resources: Resources, call: WatchedCall) -> None:
    await resources.redis.hset(_WATCHED, call.field, json.dumps(asdict(call)))


async def watch(resources: Resources, call: WatchedCall) -> None:
    """Record the call's current status and keep watching it until it ends."""
    await _record(resources, call, call.status)
    await _save(resources, call)


async def _advance(resources: Resources, call: WatchedCall, status: CallStatus) -> WatchedCall:
    """Record every status between the call's last one and `status` (a poll may miss
    ringing on a call answered at once)."""
    for step, rank in _ORDER.items():
        if _ORDER[call.status] < rank <= _ORDER[status]:
            await _record(resources, call, step)  # type: ignore[arg-type]
    return replace(call, status=status)


def final_status(call: WatchedCall, reason: int | None) -> CallStatus:
    """How a call ended, from its last status and the phone participant's disconnect reason
    (livekit-sip: 486/600/603 → USER_REJECTED, 404/408/480/no answer → USER_UNAVAILABLE)."""
    if call.status == "in_progress":
        return "completed"
    if reason == lk.DisconnectReason.USER_REJECTED:
        return "busy"
    if reason == lk.DisconnectReason.USER_UNAVAILABLE:
        return "no_answer"
    if call.direction == "inbound" and reason == lk.DisconnectReason.CLIENT_INITIATED:
        return "completed"  # the caller hung up before the agent picked up
    return "failed"


async def _end(resources: Resources, call: WatchedCall, reason: int | None) -> None:
    if not await resources.redis.hdel(_WATCHED, call.field):
        return  # another replica (or the webhook) ended it
    await _record(resources, call, final_status(call, reason))
    bridge = await resources.redis.get(_bridged_key(call.room_name))
    # Only a phone of the bridge: a person an earlier transfer of the call failed to reach
    # may end late. A removed room hangs up both phones already.
    ours = bool(bridge) and call.identity in json.loads(bridge or "[]")
    if not ours or not await resources.redis.delete(_bridged_key(call.room_name)):
        return
    if reason != lk.DisconnectReason.ROOM_DELETED:
        await _end_bridge(resources, call)


def _bridged_key(room_name: str) -> str:
    return f"vx:sipbridged:{room_name}"


async def bridged(resources: Resources, room_name: str, caller: str, person: str) -> None:
    """Caller and person (their phones' identities) of a warm transfer now talk alone in the
    room."""
    await resources.redis.set(
        _bridged_key(room_name), json.dumps([caller, person]), ex=BRIDGED_TTL_S
    )


async def _end_bridge(resources: Resources, gone: WatchedCall) -> None:
    """One phone of a bridged transfer hung up: the other must not stay on a line with
    nobody on it (the agent left at the bridge), so the room goes, and its phone with it."""
    who = "person" if gone.transfer else "caller"
    if gone.session_id is not None:
        async with resources.sessions() as db:
            session = await db.get(CallSession, gone.session_id)
            if session is not None:
                await SessionService(db).add_system_line(
                    session, f"Transferred call ended: the {who} hung up"
                )
                await db.commit()
    await hang_up(resources.livekit, gone.room_name)


async def _load(resources: Resources, field: str) -> WatchedCall | None:
    raw = await resources.redis.hget(_WATCHED, field)
    return WatchedCall(**json.loads(raw)) if raw else None


async def participant_left(
    resources: Resources, room_name: str, identity: str, reason: int
) -> None:
    call = await _load(resources, f"{room_name}\x1f{identity}")
    if call is not None:
        await _end(resources, call, reason)


async def end_failed(resources: Resources, call: WatchedCall, reason: str | None = None) -> None:
    """A dial-out LiveKit refused (or a control plane never sent) before any INVITE went out."""
    await resources.redis.hdel(_WATCHED, call.field)
    await _record(resources, call, "failed", reason)


async def transfer_step(
    resources: Resources, room_name: str, identity: str, transfer: dict[str, str]
) -> None:
    """A step of a transfer of the live call of the phone `identity` (see `transfer_of`)."""
    call = await _load(resources, f"{room_name}\x1f{identity}")
    if call is not None:
        await _record(resources, call, call.status, transfer=transfer)


async def set_answer(
    resources: Resources, room_name: str, identity: str, answered_by: str, voicemail: str | None
) -> None:
    """Who answered a live dial-out: the call's later `call.status` events carry it."""
    call = await _load(resources, f"{room_name}\x1f{identity}")
    if call is not None:
        await _save(resources, replace(call, answered_by=answered_by, voicemail=voicemail))


async def is_watched(resources: Resources, call: WatchedCall) -> bool:
    return bool(await resources.redis.hexists(_WATCHED, call.field))


async def _attribute(resources: Resources, call: WatchedCall) -> str | None:
    """The participant's `sip.callStatus`; None when it is not in the room."""
    async with livekit_call("Participant"):
        info = await resources.livekit.room.get_participant(
            lk.RoomParticipantIdentity(room=call.room_name, identity=call.identity)
        )
    return str(info.attributes.get("sip.callStatus", ""))


async def watch_pass(resources: Resources) -> None:
    """One look at every live call."""
    for field in list(await resources.redis.hkeys(_WATCHED)):
        call = await _load(resources, str(field))
        if call is None:
            continue
        try:
            attribute = await _attribute(resources, call)
        except NotFound:
            attribute = None
        except ApiError:
            continue  # LiveKit unreachable: look again next pass
        if attribute is None:
            now = time.time()
            if call.gone_since is None:
                await _save(resources, replace(call, gone_since=now))
            elif now - call.gone_since > GONE_GRACE_S:
                await _end(resources, call, None)
            continue
        status = _FROM_ATTRIBUTE.get(attribute)
        if status is None or _ORDER[status] <= _ORDER[call.status]:
            continue
        advanced = await _advance(resources, call, status)
        # Saved only if still watched (the left webhook may have ended it meanwhile), onto what
        # is saved now (the agent may have said who answered meanwhile).
        latest = await _load(resources, call.field)
        if latest is not None:
            await _save(resources, replace(latest, status=advanced.status))
