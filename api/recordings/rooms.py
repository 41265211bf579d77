"""Room recordings on demand: a recorder job dispatched into the room (LiveKit's agent
dispatch, served by the agent workers) subscribes to every audio track and uploads the file.

LiveKit Egress cannot be built here (LIVEKIT-FACTS.md), so `egress_id` is that job's dispatch
id. A recorder joins as `vxrec-<recording id>`; stopping removes that participant, and the job
uploads what it wrote once it is out of the room.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from livekit import api as lk

from agent_worker.contracts import (
    AGENT_NAME,
    RECORDER_IDENTITY_PREFIX,
    ChannelLayout,
    RecorderDispatch,
    RecordingFormat,
)
from api.errors import NotFound, Unavailable
from api.ids import new_id
from api.projects.schemas import Principal
from api.recordings.models import Recording
from api.recordings.schemas import RecordingRead
from api.recordings.services import RecordingService, recording_read
from api.recordings.storage import RecordingStore
from api.resources import Resources
from api.rooms.naming import project_room_name
from api.rooms.services import livekit_call
from api.sessions.tokens import issue_report_token

logger = logging.getLogger(__name__)

RECORDER_TOKEN_TTL = timedelta(hours=25)
"""How long a recorder may upload: a room recording may run for a day."""


def recording_store(resources: Resources) -> RecordingStore:
    return RecordingStore(resources.settings.recordings_dir)


class RoomRecordings:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def start(
        self, room: str, fmt: RecordingFormat, layout: ChannelLayout = "mixed"
    ) -> RecordingRead:
        resources, principal = self.resources, self.principal
        full_name = project_room_name(principal.room_prefix, room)
        async with livekit_call("Room"):
            found = await resources.livekit.room.list_rooms(lk.ListRoomsRequest(names=[full_name]))
        if not found.rooms:
            raise NotFound("Room not found", details={"room": room})
        async with resources.sessions() as session:
            service = RecordingService(session, recording_store(resources))
            await service.require_room_for(
                principal.project_id, principal.plan, resources.settings.usage
            )
            recording_id = new_id("rec")
            metadata = RecorderDispatch(
                recording_id=recording_id,
                project_id=principal.project_id,
                room=full_name,
                format=fmt,
                layout=layout,
                report_url=f"{resources.settings.api_base_url}/internal/v1",
                report_token=issue_report_token(
                    resources.settings.require_livekit_secret(),
                    recording_id,
                    principal.project_id,
                    RECORDER_TOKEN_TTL,
                ),
            )
            async with livekit_call("Room"):
                dispatch = await resources.livekit.agent_dispatch.create_dispatch(
                    lk.CreateAgentDispatchRequest(
                        agent_name=AGENT_NAME, room=full_name, metadata=metadata.model_dump_json()
                    )
                )
            row = Recording(
                id=recording_id,
                project_id=principal.project_id,
                room_name=full_name,
                kind="room",
                egress_id=dispatch.id,
                format=fmt,
                channels=1,
                status="starting",
            )
            session.add(row)
            await session.commit()
            return recording_read(row)

    async def stop(self, room: str, egress_id: str | None) -> list[RecordingRead]:
        resources, principal = self.resources, self.principal
        full_name = project_room_name(principal.room_prefix, room)
        async with resources.sessions() as session:
            service = RecordingService(session, recording_store(resources))
            rows = await service.active_in_room(principal.project_id, full_name, egress_id)
            if not rows:
                raise NotFound(
                    "No recording in progress in this room",
                    details={"room": room, "egress_id": egress_id},
                )
            stopped: list[RecordingRead] = []
            for row in rows:
                present = await self._stop_recorder(row)
                if not present and row.status == "starting":
                    await service.fail(row, "stopped before the recorder joined")
                elif row.status != "stopping":
                    row.status = "stopping"
                    session.add(row)
                    await session.commit()
                stopped.append(recording_read(row))
            return stopped

    async def _stop_recorder(self, row: Recording) -> bool:
        """Take the dispatch back (a recorder not yet started never starts) and remove the
        recorder from the room (one that writes uploads what it has); False if it was not
        in the room."""
        livekit = self.resources.livekit
        try:
            async with livekit_call("Room"):
                if row.egress_id:
                    await livekit.agent_dispatch.delete_dispatch(row.egress_id, row.room_name)
        except (NotFound, Unavailable):
            pass  # LiveKit answers "unavailable" for a room no node runs any more
        try:
            async with livekit_call("Participant"):
                await livekit.room.remove_participant(
                    lk.RoomParticipantIdentity(
                        room=row.room_name, identity=RECORDER_IDENTITY_PREFIX + row.id
                    )
                )
        except (NotFound, Unavailable):
            logger.info("recorder not in its room", extra={"recording_id": row.id})
            return False
        return True
