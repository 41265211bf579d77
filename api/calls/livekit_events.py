"""LiveKit webhook events as our events: which project, which session, which payload.

Each mapped webhook is written once (its LiveKit id is the event's dedupe key), so a
redelivery is recognised by the same insert that would record it: there is no window where
an event is marked seen but not stored. A `room_finished` webhook LiveKit dropped is made up
for by the reconciler (`finish_vanished_room`).
"""

from __future__ import annotations

from typing import Any

from livekit import api as lk
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import ApiError
from api.events import catalogue, outbox
from api.events.models import Event
from api.projects.models import Project
from api.resources import Resources
from api.rooms.naming import room_prefix_of
from api.rooms.services import livekit_call
from api.sessions.models import CallSession

_WEBHOOK_SEEN_TTL_S = 24 * 3600

_EVENT_TYPES = {
    "room_started": catalogue.ROOM_STARTED,
    "room_finished": catalogue.ROOM_FINISHED,
    "participant_joined": catalogue.PARTICIPANT_JOINED,
    "participant_left": catalogue.PARTICIPANT_LEFT,
    "track_published": catalogue.TRACK_PUBLISHED,
    "track_unpublished": catalogue.TRACK_UNPUBLISHED,
}


def _participant(info: lk.ParticipantInfo) -> dict[str, Any]:
    return {
        "identity": info.identity,
        "name": info.name,
        "sid": info.sid,
        "kind": lk.ParticipantInfo.Kind.Name(info.kind).lower(),
    }


def event_data(event: lk.WebhookEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"room_name": event.room.name, "room_sid": event.room.sid}
    if event.event == "room_started":
        data["created_at"] = event.room.creation_time
    elif event.event.startswith("participant_") or event.event.startswith("track_"):
        data.update(_participant(event.participant))
        if event.event == "participant_joined":
            data["joined_at"] = event.participant.joined_at
        if event.event == "participant_left":
            data["reason"] = lk.DisconnectReason.Name(event.participant.disconnect_reason).lower()
    if event.event.startswith("track_"):
        data["track"] = {
            "sid": event.track.sid,
            "type": lk.TrackType.Name(event.track.type).lower(),
            "source": lk.TrackSource.Name(event.track.source).lower(),
            "name": event.track.name,
        }
    return data


async def _project_of(db: AsyncSession, room_name: str) -> str | None:
    prefix = room_prefix_of(room_name)
    if prefix is None:
        return None
    return (await db.exec(select(Project.id).where(Project.room_prefix == prefix))).first()


async def _live_session(db: AsyncSession, project_id: str, room_name: str) -> str | None:
    statement = (
        select(CallSession.id)
        .where(
            CallSession.project_id == project_id,
            CallSession.room_name == room_name,
            CallSession.status == "active",
        )
        .order_by(col(CallSession.started_at).desc())
    )
    return (await db.exec(statement)).first()


async def record_livekit_event(resources: Resources, event: lk.WebhookEvent) -> bool:
    """Store the webhook as our event; False if this LiveKit event id was seen already."""
    event_type = _EVENT_TYPES.get(event.event)
    async with resources.sessions() as db:
        project_id = await _project_of(db, event.room.name) if event_type else None
        if event_type is None or project_id is None or not event.id:
            # Nothing of ours to store: the id alone is remembered, for the room checks.
            first = await resources.redis.set(
                f"vx:lkwh:{event.id}", 1, nx=True, ex=_WEBHOOK_SEEN_TTL_S
            )
            return bool(first)
        session_id = None
        if not event.event.startswith("room_"):
            session_id = await _live_session(db, project_id, event.room.name)
        row = await outbox.record_once(
            db,
            project_id,
            event_type,
            event_data(event),
            dedupe_key=f"lk:{event.id}",
            session_id=session_id,
            room_name=event.room.name,
        )
        await db.commit()
    return row is not None


async def _room_exists(resources: Resources, room_name: str) -> bool | None:
    """Whether LiveKit has the room now; None when LiveKit cannot say."""
    try:
        async with livekit_call("Room"):
            response = await resources.livekit.room.list_rooms(
                lk.ListRoomsRequest(names=[room_name])
            )
    except ApiError:
        return None
    return any(room.name == room_name for room in response.rooms)


async def finish_vanished_room(resources: Resources, room_name: str) -> bool:
    """Record `room.finished` for a room LiveKit no longer has, when its `room_finished`
    webhook never came (the last room event we hold is `room.started`)."""
    if await _room_exists(resources, room_name) is not False:
        return False
    async with resources.sessions() as db:
        project_id = await _project_of(db, room_name)
        if project_id is None:
            return False
        last = (
            await db.exec(
                select(Event)
                .where(
                    Event.project_id == project_id,
                    Event.room_name == room_name,
                    col(Event.event_type).in_([catalogue.ROOM_STARTED, catalogue.ROOM_FINISHED]),
                )
                .order_by(col(Event.created_at).desc())
            )
        ).first()
        if last is None or last.event_type != catalogue.ROOM_STARTED:
            return False
        # Keyed by the start it closes: replicas reconciling the same room record it once.
        row = await outbox.record_once(
            db,
            project_id,
            catalogue.ROOM_FINISHED,
            {"room_name": room_name, "room_sid": last.data.get("room_sid", ""), "reconciled": True},
            dedupe_key=f"finished:{last.id}",
            room_name=room_name,
        )
        await db.commit()
    return row is not None
