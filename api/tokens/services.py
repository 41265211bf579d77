"""Client tokens: explicit safe grants, short TTL, optional explicit agent dispatch."""

from __future__ import annotations

import logging
import time

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


class TokenService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal
        self.rooms = RoomService(resources, principal)

    def mint(self, data: TokenRequest, full_room: str, ttl_s: int) -> str:
        """A LiveKit access token (HS256 JWT, LiveKit's claim names) with only client grants.

        Built as a plain claims dict: livekit-api's AccessToken deep-copies its dataclasses on
        every call, which was most of a token request's cost.
        """
        grants = data.grants
        video: dict[str, object] = {
            "roomJoin": True,
            "room": full_room,
            # Set explicitly: LiveKit treats unset publish/subscribe as allowed.
            "canPublish": grants.can_publish,
            "canSubscribe": grants.can_subscribe,
            "canPublishData": grants.can_publish_data,
            "canUpdateOwnMetadata": grants.can_update_own_metadata,
            "hidden": grants.hidden,
        }
        if grants.can_publish_sources:
            video["canPublishSources"] = list(grants.can_publish_sources)
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.resources.signer.api_key,
            "sub": data.identity,
            "nbf": now,
            "exp": now + ttl_s,
            "video": video,
        }
        if data.name:
            claims["name"] = data.name
        if data.metadata:
            claims["metadata"] = data.metadata
        return self.resources.signer.sign(claims)

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
