"""Rooms live in LiveKit; names carry the project's prefix so projects never see each other's."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from livekit import api as lk

from agent_worker.contracts import RECORDER_IDENTITY_PREFIX
from api.errors import ApiError, Conflict, NotFound, PayloadTooLarge, Unavailable
from api.events import catalogue, outbox
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.naming import project_room_name, short_room_name
from api.rooms.schemas import (
    MAX_DATA_BYTES,
    MuteRequest,
    MuteResult,
    ParticipantRead,
    ParticipantUpdate,
    RoomCreate,
    RoomDetail,
    RoomRead,
    SendData,
    TrackRead,
)

logger = logging.getLogger(__name__)


@asynccontextmanager
async def livekit_call(what: str) -> AsyncIterator[None]:
    """Translate LiveKit client failures into API errors, in one place."""
    try:
        yield
    except lk.TwirpError as exc:
        if exc.code == lk.TwirpErrorCode.NOT_FOUND:
            raise NotFound(f"{what} not found") from exc
        raise Unavailable(
            "LiveKit refused the request", details={"livekit_code": exc.code}
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Unavailable("LiveKit is unreachable") from exc


async def hang_up(livekit: lk.LiveKitAPI, room_name: str) -> None:
    """End a call by removing its room: everyone in it leaves, and livekit-sip sends each phone
    a BYE (a participant that merely leaves hangs up nobody). A room already gone is fine; a
    failure is logged, never raised: the caller is closing the call whatever LiveKit says."""
    try:
        async with livekit_call("Room"):
            await livekit.room.delete_room(lk.DeleteRoomRequest(room=room_name))
    except NotFound:
        pass
    except ApiError:
        logger.warning("could not remove a call's room", extra={"room": room_name})


def is_call_agent(participant: lk.ParticipantInfo) -> bool:
    """An agent that answers the call: a room recorder joins as an agent too, but answers
    nobody."""
    return participant.kind == lk.ParticipantInfo.Kind.AGENT and not (
        participant.identity.startswith(RECORDER_IDENTITY_PREFIX)
    )


async def agent_in_room(livekit: lk.LiveKitAPI, room_name: str) -> bool:
    """Whether an agent participant is in the room now; a missing or unreachable room has none.
    Room recorders do not count."""
    try:
        async with livekit_call("Room"):
            response = await livekit.room.list_participants(
                lk.ListParticipantsRequest(room=room_name)
            )
    except ApiError:
        return False
    return any(is_call_agent(p) for p in response.participants)


def _track(track: lk.TrackInfo) -> TrackRead:
    return TrackRead(
        sid=track.sid,
        name=track.name,
        type=lk.TrackType.Name(track.type),
        source=lk.TrackSource.Name(track.source),
        muted=track.muted,
    )


def participant_read(info: lk.ParticipantInfo) -> ParticipantRead:
    return ParticipantRead(
        sid=info.sid,
        identity=info.identity,
        name=info.name,
        state=lk.ParticipantInfo.State.Name(info.state),
        kind=lk.ParticipantInfo.Kind.Name(info.kind),
        joinedAt=info.joined_at,
        tracks=[_track(track) for track in info.tracks],
    )


ROOM_SEEN_TTL_S = 10
"""How long a confirmed room is trusted without asking LiveKit again (token bursts)."""


class RoomService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.livekit = resources.livekit
        self.redis = resources.redis
        self.rooms_seen = resources.rooms_seen
        self.rooms_checking = resources.rooms_checking
        self.principal = principal

    @staticmethod
    def _seen_key(full_name: str) -> str:
        return f"vx:room:{full_name}"

    def full_name(self, name: str) -> str:
        return project_room_name(self.principal.room_prefix, name)

    def _room_read(self, room: lk.Room) -> RoomRead:
        return RoomRead(
            name=short_room_name(self.principal.room_prefix, room.name),
            fullName=room.name,
            sid=room.sid,
            emptyTimeout=room.empty_timeout,
            maxParticipants=room.max_participants,
            numParticipants=room.num_participants,
            creationTime=room.creation_time,
            metadata=room.metadata,
        )

    async def create(self, data: RoomCreate) -> RoomRead:
        request = lk.CreateRoomRequest(
            name=self.full_name(data.name),
            empty_timeout=data.empty_timeout,
            max_participants=data.max_participants,
            metadata=data.metadata,
        )
        async with livekit_call("Room"):
            room = await self.livekit.room.create_room(request)
        return self._room_read(room)

    async def ensure(self, name: str) -> str:
        """Make sure the room exists and return its full name.

        LiveKit's create is idempotent by name; a short Redis memo shared by every replica
        spares it a call per token when many callers join one room, and a shorter memo in
        this process spares Redis. Both are shorter than any empty timeout's race that a
        fresh create would not also have.
        """
        full = self.full_name(name)
        if full in self.rooms_seen:
            return full
        # One check per room at a time in this process: when a busy room's memo runs out,
        # the callers arriving meanwhile wait for that check instead of each asking Redis
        # and LiveKit. Shielded, so that one caller hanging up does not cancel it for all.
        check = self.rooms_checking.get(full)
        if check is None:
            check = asyncio.create_task(self._confirm(name, full))
            self.rooms_checking[full] = check
            # Once it is over (done or failed), the next miss starts a new one.
            check.add_done_callback(lambda _: self.rooms_checking.pop(full, None))
        await asyncio.shield(check)
        return full

    async def _confirm(self, name: str, full: str) -> None:
        if not await self.redis.exists(self._seen_key(full)):
            await self.create(RoomCreate(name=name))
            await self.redis.set(self._seen_key(full), 1, ex=ROOM_SEEN_TTL_S)
        self.rooms_seen[full] = True

    async def list_rooms(self) -> list[RoomRead]:
        async with livekit_call("Room"):
            response = await self.livekit.room.list_rooms(lk.ListRoomsRequest())
        return [
            self._room_read(room)
            for room in response.rooms
            if room.name.startswith(self.principal.room_prefix)
        ]

    async def _live_room(self, name: str) -> lk.Room:
        full = self.full_name(name)
        async with livekit_call("Room"):
            response = await self.livekit.room.list_rooms(lk.ListRoomsRequest(names=[full]))
        for room in response.rooms:
            if room.name == full:
                return room
        raise NotFound("Room not found", details={"room": name})

    async def participants(self, name: str) -> list[ParticipantRead]:
        await self._live_room(name)
        async with livekit_call("Room"):
            response = await self.livekit.room.list_participants(
                lk.ListParticipantsRequest(room=self.full_name(name))
            )
        return [participant_read(p) for p in response.participants]

    async def get(self, name: str) -> RoomDetail:
        room = self._room_read(await self._live_room(name))
        return RoomDetail(**room.model_dump(), participants=await self.participants(name))

    async def delete(self, name: str) -> None:
        await self._live_room(name)
        full = self.full_name(name)
        async with livekit_call("Room"):
            await self.livekit.room.delete_room(lk.DeleteRoomRequest(room=full))
        await self.redis.delete(self._seen_key(full))
        self.rooms_seen.pop(full, None)

    async def kick(self, name: str, identity: str) -> None:
        await self._live_room(name)
        async with livekit_call("Participant"):
            await self.livekit.room.remove_participant(
                lk.RoomParticipantIdentity(room=self.full_name(name), identity=identity)
            )

    async def live_participant(self, name: str, identity: str) -> lk.ParticipantInfo:
        """The participant `identity` of the project's live room `name` (404 for either)."""
        await self._live_room(name)
        async with livekit_call("Participant"):
            return await self.livekit.room.get_participant(
                lk.RoomParticipantIdentity(room=self.full_name(name), identity=identity)
            )

    async def _record(self, event_type: str, name: str, data: dict[str, Any]) -> None:
        full = self.full_name(name)
        async with self.resources.sessions() as db:
            await outbox.record(
                db,
                self.principal.project_id,
                event_type,
                {"room_name": full, **data},
                room_name=full,
            )
            await db.commit()

    async def send_data(self, name: str, data: SendData) -> int:
        """Send a data packet (reliable) to the room or to the named participants; returns
        how many bytes went out. Every named participant must be in the room."""
        payload = (
            data.data.encode() if isinstance(data.data, str) else json.dumps(data.data).encode()
        )
        if len(payload) > MAX_DATA_BYTES:
            raise PayloadTooLarge(
                "data is larger than one data packet",
                details={"field": "data", "max_bytes": MAX_DATA_BYTES},
            )
        await self._live_room(name)
        full = self.full_name(name)
        if data.destination_identities:
            async with livekit_call("Room"):
                present = await self.livekit.room.list_participants(
                    lk.ListParticipantsRequest(room=full)
                )
            identities = {p.identity for p in present.participants}
            missing = [i for i in data.destination_identities if i not in identities]
            if missing:
                raise NotFound(
                    "Participant not found",
                    details={"field": "destination_identities", "identities": missing},
                )
        async with livekit_call("Room"):
            await self.livekit.room.send_data(
                lk.SendDataRequest(
                    room=full,
                    data=payload,
                    kind=lk.DataPacket.Kind.RELIABLE,
                    destination_identities=data.destination_identities,
                    topic=data.topic,
                )
            )
        # the payload itself stays out of the event: it may be anything the caller sent
        await self._record(
            catalogue.ROOM_DATA_SENT,
            name,
            {
                "destination_identities": data.destination_identities,
                "topic": data.topic,
                "bytes": len(payload),
            },
        )
        return len(payload)

    async def update_participant(
        self, name: str, identity: str, data: ParticipantUpdate
    ) -> ParticipantRead:
        """Change metadata, name and permissions; the permissions not named keep their value
        (LiveKit replaces the whole permission object, so the current one is merged in)."""
        current = await self.live_participant(name, identity)
        request = lk.UpdateParticipantRequest(room=self.full_name(name), identity=identity)
        changed: list[str] = []
        if data.metadata is not None:
            request.metadata = data.metadata
            changed.append("metadata")
        if data.name is not None:
            request.name = data.name
            changed.append("name")
        if data.permission is not None:
            permission = lk.ParticipantPermission()
            permission.CopyFrom(current.permission)
            wanted = data.permission
            if wanted.canPublish is not None:
                permission.can_publish = wanted.canPublish
            if wanted.canSubscribe is not None:
                permission.can_subscribe = wanted.canSubscribe
            if wanted.canPublishData is not None:
                permission.can_publish_data = wanted.canPublishData
            request.permission.CopyFrom(permission)
            changed.append("permission")
        async with livekit_call("Participant"):
            updated = await self.livekit.room.update_participant(request)
        event: dict[str, Any] = {"identity": identity, "changed": changed}
        if data.permission is not None:
            event["permission"] = data.permission.model_dump(exclude_none=True)
        await self._record(catalogue.PARTICIPANT_UPDATED, name, event)
        return participant_read(updated)

    async def mute(self, name: str, identity: str, data: MuteRequest) -> MuteResult:
        """Mute or unmute one published track: the one named, else the first audio track."""
        participant = await self.live_participant(name, identity)
        if data.track_sid is not None:
            if not any(t.sid == data.track_sid for t in participant.tracks):
                raise NotFound("Track not found", details={"field": "track_sid"})
            track_sid = data.track_sid
        else:
            audio = [t for t in participant.tracks if t.type == lk.TrackType.AUDIO]
            if not audio:
                raise Conflict(
                    "The participant publishes no audio track", details={"identity": identity}
                )
            track_sid = audio[0].sid
        try:
            async with livekit_call("Track"):
                response = await self.livekit.room.mute_published_track(
                    lk.MuteRoomTrackRequest(
                        room=self.full_name(name),
                        identity=identity,
                        track_sid=track_sid,
                        muted=data.muted,
                    )
                )
        except Unavailable as exc:
            if not data.muted and isinstance(exc.__cause__, lk.TwirpError):
                # LiveKit refuses remote unmute unless its room.enable_remote_unmute is on
                raise Conflict(
                    "LiveKit does not allow unmuting others (room.enable_remote_unmute)",
                    details={"field": "muted"},
                ) from exc
            raise
        await self._record(
            catalogue.TRACK_MUTED if data.muted else catalogue.TRACK_UNMUTED,
            name,
            {"identity": identity, "track_sid": track_sid},
        )
        return MuteResult(identity=identity, track=_track(response.track))
