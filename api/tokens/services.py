"""Client tokens: explicit safe grants, short TTL, optional explicit agent dispatch."""

from __future__ import annotations

import logging
from datetime import timedelta

from livekit import api as lk
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from api.agents.services import AgentService
from api.errors import Conflict, Unavailable
from api.projects.schemas import Principal
from api.resources import Resources
from api.rooms.services import RoomService
from api.sessions.dispatch import send_dispatch
from api.sessions.services import SessionService
from api.tokens.schemas import DispatchedSession, TokenRequest, TokenResponse

logger = logging.getLogger(__name__)

_SOURCE_BY_NAME = {
    "microphone": lk.TrackSource.MICROPHONE,
    "camera": lk.TrackSource.CAMERA,
    "screen_share": lk.TrackSource.SCREEN_SHARE,
    "screen_share_audio": lk.TrackSource.SCREEN_SHARE_AUDIO,
}


class TokenService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal
        self.rooms = RoomService(resources, principal)

    def mint(self, data: TokenRequest, full_room: str, ttl_s: int) -> str:
        grants = data.grants
        video = lk.VideoGrants(
            room_join=True,
            room=full_room,
            # Set explicitly: LiveKit treats unset publish/subscribe as allowed.
            can_publish=grants.can_publish,
            can_subscribe=grants.can_subscribe,
            can_publish_data=grants.can_publish_data,
            can_publish_sources=(
                list(grants.can_publish_sources) if grants.can_publish_sources else None
            ),
            can_update_own_metadata=grants.can_update_own_metadata,
            hidden=grants.hidden,
        )
        settings = self.resources.settings
        token = (
            lk.AccessToken(settings.livekit_api_key, settings.require_livekit_secret())
            .with_identity(data.identity)
            .with_grants(video)
            .with_ttl(timedelta(seconds=ttl_s))
        )
        if data.name:
            token = token.with_name(data.name)
        if data.metadata:
            token = token.with_metadata(data.metadata)
        return token.to_jwt()

    async def _dispatch(
        self, session: AsyncSession, agent_id: str, spec: AgentSpec, full_room: str, identity: str
    ) -> DispatchedSession:
        sessions = SessionService(session)
        row = await sessions.open_for_dispatch(
            self.principal.project_id, agent_id, spec, full_room, identity
        )
        try:
            await send_dispatch(self.resources, row, spec)
        except Unavailable as exc:
            await sessions.fail(row, "agent_error", "dispatch failed")
            raise exc
        return DispatchedSession(agent_id=agent_id, session_id=row.id)

    async def _dispatch_agents(
        self, agent_ids: list[str], room_name: str, identity: str
    ) -> tuple[str, list[DispatchedSession]]:
        async with self.resources.sessions() as session:
            agents = AgentService(session)
            specs: list[tuple[str, AgentSpec]] = []
            for agent_id in agent_ids:
                agent = await agents.get(self.principal.project_id, agent_id)
                if not agent.is_active:
                    raise Conflict("Agent is not active", details={"agent_config_id": agent_id})
                specs.append((agent_id, AgentSpec.model_validate(agent.spec)))
            room = await self.rooms.ensure(room_name)
            dispatched = [
                await self._dispatch(session, agent_id, spec, room, identity)
                for agent_id, spec in specs
            ]
        return room, dispatched

    async def issue(self, data: TokenRequest) -> TokenResponse:
        # Rooms are never auto-created by a join, so the token's room must exist first.
        agent_ids = data.agent_ids()
        if agent_ids:
            room, dispatched = await self._dispatch_agents(agent_ids, data.room, data.identity)
        else:
            # The hot path (callers joining a room) needs no database at all.
            room, dispatched = await self.rooms.ensure(data.room), []
        ttl_s = min(
            data.ttl or self.resources.settings.token_default_ttl_s,
            self.resources.settings.token_max_ttl_s,
        )
        return TokenResponse(
            token=self.mint(data, room, ttl_s),
            room=room,
            wsUrl=self.resources.settings.client_ws_url,
            identity=data.identity,
            expires_in=ttl_s,
            agents_dispatched=[d.agent_id for d in dispatched],
            sessions=dispatched,
        )
