from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from api.auth import READ, WRITE
from api.openapi import errors
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.schemas import (
    ActionResult,
    MuteRequest,
    MuteResult,
    ParticipantEnvelope,
    ParticipantIdentity,
    ParticipantList,
    ParticipantUpdate,
    RoomCreate,
    RoomDetailEnvelope,
    RoomEnvelope,
    RoomList,
    SendData,
)
from api.rooms.services import RoomService

RoomName = Annotated[
    str,
    PathParameter(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$",
        description="The room's name, with or without the project prefix",
    ),
]


class RoomController(Controller):
    path = "/rooms"
    tags = ["rooms"]

    @post(operation_id="createRoom", opt=WRITE)
    async def create_room(
        self,
        data: JSONBody[RoomCreate],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> RoomEnvelope:
        return RoomEnvelope(room=await RoomService(resources, principal).create(data))

    @get(operation_id="listRooms", opt=READ)
    async def list_rooms(
        self, resources: NamedDependency[Resources], principal: NamedDependency[Principal]
    ) -> RoomList:
        rooms = await RoomService(resources, principal).list_rooms()
        return RoomList(rooms=rooms, total=len(rooms))

    @get("/{room:str}", operation_id="getRoom", opt=READ)
    async def get_room(
        self,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> RoomDetailEnvelope:
        return RoomDetailEnvelope(room=await RoomService(resources, principal).get(room))

    @delete("/{room:str}", operation_id="deleteRoom", opt=WRITE, status_code=200)
    async def delete_room(
        self,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> ActionResult:
        await RoomService(resources, principal).delete(room)
        return ActionResult(message="Room closed")

    @get("/{room:str}/participants", operation_id="listRoomParticipants", opt=READ)
    async def participants(
        self,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> ParticipantList:
        service = RoomService(resources, principal)
        return ParticipantList(participants=await service.participants(room))

    @post(
        "/{room:str}/kick/{identity:str}",
        operation_id="kickParticipant",
        opt=WRITE,
        status_code=200,
    )
    async def kick(
        self,
        identity: ParticipantIdentity,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> ActionResult:
        await RoomService(resources, principal).kick(room, identity)
        return ActionResult(message="Participant removed")

    @post(
        "/{room:str}/send-data",
        operation_id="sendRoomData",
        opt=WRITE | errors(503),
        status_code=200,
    )
    async def send_data(
        self,
        data: JSONBody[SendData],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> ActionResult:
        """Send a data packet to everyone in the room, or only to `destination_identities`
        (404 naming the field if one of them is not in the room)."""
        sent = await RoomService(resources, principal).send_data(room, data)
        return ActionResult(message=f"Sent {sent} bytes")

    @post(
        "/{room:str}/participants/{identity:str}",
        operation_id="updateParticipant",
        opt=WRITE | errors(503),
        status_code=200,
    )
    async def update_participant(
        self,
        identity: ParticipantIdentity,
        data: JSONBody[ParticipantUpdate],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> ParticipantEnvelope:
        """Change a participant's metadata, display name or permissions (at least one)."""
        service = RoomService(resources, principal)
        return ParticipantEnvelope(
            participant=await service.update_participant(room, identity, data)
        )

    @post(
        "/{room:str}/participants/{identity:str}/mute",
        operation_id="muteParticipant",
        opt=WRITE | errors(409, 503),
        status_code=200,
    )
    async def mute(
        self,
        identity: ParticipantIdentity,
        data: JSONBody[MuteRequest],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        room: RoomName,
    ) -> MuteResult:
        """Mute or unmute a published track: `track_sid`, else the first audio track (409 if
        there is none, or for an unmute LiveKit is not configured to allow)."""
        return await RoomService(resources, principal).mute(room, identity, data)
