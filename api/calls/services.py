"""Starting and ending calls: the one path every transport takes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from agent_worker.contracts import AgentSpec
from api.agents.services import AgentService
from api.calls.dispatch import remember_spec, send_dispatch
from api.calls.reconciler import schedule_no_show_check
from api.capacity import require_worker_room
from api.errors import Conflict, Unavailable
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.naming import project_room_name
from api.rooms.services import RoomService
from api.sessions.schemas import SessionCreate, SessionEnd, SessionRead
from api.sessions.services import SessionService, session_read
from api.usage.quota import QuotaService
from api.usage.quota_lock import quota_lock


@dataclass(frozen=True, slots=True)
class StartedSession:
    agent_id: str
    session_id: str


@dataclass(frozen=True, slots=True)
class StartedCall:
    room: str
    """The room's full LiveKit name."""
    sessions: Sequence[StartedSession]


class CallService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def start(
        self,
        room_name: str,
        caller_identity: str,
        agent_ids: Sequence[str],
        *,
        session_type: str = "voice",
        metadata: dict[str, object] | None = None,
        adjust_spec: Callable[[AgentSpec], AgentSpec] | None = None,
        existing_room: bool = False,
        resume: bool = False,
        worker_wait_s: float = 0.0,
    ) -> StartedCall:
        """Make sure the room exists and send each agent into it, one session per agent.

        Worker capacity and the agents are checked before anything is created, so a refused
        call leaves nothing behind. A dispatch LiveKit refuses fails its session and the call.
        `adjust_spec` tailors the agent's config to the call (a phone line's caps);
        `existing_room`: the room is LiveKit's already, by its full name (a phone call's);
        `resume`: the agent continues a conversation (its session's metadata names the one
        before, `continues_session_id`), so it loads the transcript so far instead of greeting.
        `worker_wait_s`: how long to wait for a free agent-worker slot before refusing.
        """
        rooms = RoomService(self.resources, self.principal)
        if not agent_ids:
            return StartedCall(room=await rooms.ensure(room_name), sessions=[])
        project_id = self.principal.project_id
        async with self.resources.sessions() as db_session:
            agents = AgentService(db_session)
            specs: list[tuple[str, AgentSpec]] = []
            for agent_id in agent_ids:
                agent = await agents.get(project_id, agent_id)
                if not agent.is_active:
                    raise Conflict("Agent is not active", details={"agent_config_id": agent_id})
                spec = AgentSpec.model_validate(agent.spec)
                specs.append((agent_id, adjust_spec(spec) if adjust_spec else spec))
            if self.resources.settings.check_worker_capacity:
                # Refused before anything is created (but after a wrong agent id, which is
                # the caller's to fix, not a reason to retry): a call no worker can take
                # never starts.
                await require_worker_room(
                    self.resources.redis,
                    self.resources.worker_room,
                    len(agent_ids),
                    wait_s=worker_wait_s,
                )
            room = room_name if existing_room else await rooms.ensure(room_name)
            sessions = SessionService(db_session)
            # Only the count and the sessions it allows are under the project's quota lock
            # (starts racing past the limit would otherwise all pass the count), not LiveKit's
            # requests: 20 calls started at once, each holding it through its dispatch, made
            # the last ones wait past `quota_wait_s` (429) on a loaded machine.
            async with quota_lock(
                self.resources.redis,
                self.resources.settings.usage,
                project_id,
                "concurrent_sessions",
            ):
                await QuotaService(db_session, self.resources.settings.usage).require(
                    project_id, self.principal.plan, "concurrent_sessions", adding=len(specs)
                )
                opened = []
                for agent_id, spec in specs:
                    row = await sessions.open_for_dispatch(
                        project_id, agent_id, spec, room, caller_identity, session_type, metadata
                    )
                    opened.append((agent_id, spec, row))
            started: list[StartedSession] = []
            for index, (agent_id, spec, row) in enumerate(opened):
                if adjust_spec is not None:
                    await remember_spec(self.resources, row.id, spec)
                try:
                    await send_dispatch(self.resources, row, spec, resume=resume)
                except Unavailable:
                    for _, _, undispatched in opened[index:]:
                        await sessions.fail(undispatched, "agent_error", "dispatch failed")
                    raise
                await schedule_no_show_check(self.resources, row.id)
                started.append(StartedSession(agent_id=agent_id, session_id=row.id))
        return StartedCall(room=room, sessions=started)

    async def open_external(self, data: SessionCreate) -> SessionRead:
        """A session whose media runs outside our dispatch (`POST /sessions`)."""
        spec = None
        project_id = self.principal.project_id
        async with self.resources.sessions() as db_session:
            if data.agent_config_id:
                spec = await AgentService(db_session).spec_of(project_id, data.agent_config_id)
            row = await SessionService(db_session).open_for_dispatch(
                project_id,
                data.agent_config_id,
                spec,
                project_room_name(self.principal.room_prefix, data.room_name),
                data.caller_identity,
                data.session_type,
                data.metadata,
            )
        return session_read(row)

    async def end_in_room(self, room: str, data: SessionEnd) -> SessionRead:
        """End the newest active session of a room (`POST /sessions/{room}/end`)."""
        async with self.resources.sessions() as db_session:
            return await SessionService(db_session).end_in_room(
                self.principal.project_id, self.principal.room_prefix, room, data
            )
