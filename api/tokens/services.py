"""Client tokens: explicit safe grants, short TTL, optional explicit agent dispatch."""

from __future__ import annotations

import logging
import time

from api.calls.services import CallService
from api.projects.schemas import Principal
from api.resources import Resources
from api.tokens.schemas import DispatchedSession, TokenRequest, TokenResponse

logger = logging.getLogger(__name__)


class TokenService:
    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

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

    async def issue(self, data: TokenRequest) -> TokenResponse:
        agent_ids = data.agent_ids()
        # The room is created here, with the project's settings, before anyone joins it
        # (LiveKit would otherwise create it with defaults on the first join); the hot path
        # (callers joining a room, no agent) needs no database at all.
        call = await CallService(self.resources, self.principal).start(
            data.room, data.identity, agent_ids
        )
        dispatched = [
            DispatchedSession(agent_id=s.agent_id, session_id=s.session_id) for s in call.sessions
        ]
        ttl_s = min(
            int(data.ttl or self.resources.settings.token_default_ttl_s),
            self.resources.settings.token_max_ttl_s,
        )
        return TokenResponse(
            token=self.mint(data, call.room, ttl_s),
            room=call.room,
            wsUrl=self.resources.settings.client_ws_url,
            identity=data.identity,
            expires_in=ttl_s,
            agents_dispatched=[d.agent_id for d in dispatched],
            sessions=dispatched,
        )
