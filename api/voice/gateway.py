"""The media gateway's requests: start the call of a client that connected, end it, and end
every call a restarted gateway lost (`gateway.contracts` is the wire contract)."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from agent_worker.contracts import AgentSpec
from api.auth import WRITE, authenticate, check_scope
from api.db import utcnow
from api.errors import NotFound, QuotaExceeded, RateLimited, Unauthorized
from api.projects.models import Project
from api.projects.schemas import Principal
from api.projects.services import project_principal
from api.resources import Resources
from api.sessions.models import CallSession
from api.usage.meter import ApiCallMeter
from api.voice import ending, tickets
from api.voice.models import VoiceCall
from api.voice.services import (
    CallPlan,
    SessionOverrides,
    StartedVoiceCall,
    VoiceCallStarter,
    VoiceConfigService,
    active_voice_sessions,
    configured_spec,
    find_agent,
    new_history_key,
)
from gateway.contracts import EndReason, GatewayCall, GatewayCallRequest

_LATER: dict[str, str] = {
    "caller_hangup": "participant_left",
    "agent_left": "agent_error",
    "max_duration": "max_duration",
}
"""Gateway end reasons after which the agent closes the session itself (else this reason,
after a grace period)."""
_NOW: dict[str, str] = {
    "error": "transport_error",
    "protocol_error": "transport_error",
    "gateway_shutdown": "gateway_shutdown",
}
"""Gateway end reasons that fail the session at once."""


def check_gateway_secret(resources: Resources, authorization: str | None) -> None:
    secret = resources.settings.gateway_secret.get_secret_value()
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Unauthorized("Invalid gateway secret")


class GatewayService:
    def __init__(self, resources: Resources, meter: ApiCallMeter | None = None) -> None:
        self.resources = resources
        self.meter = meter
        """Counts a `/ws/voice?api_key=` connection as an API call of the key's project."""

    async def start_call(self, request: GatewayCallRequest) -> GatewayCall:
        if (request.ticket is None) == (request.api_key is None):
            raise Unauthorized("Give exactly one of ticket and api_key")
        if request.api_key is not None:
            principal = await self._key_holder(request.api_key, request.gateway_id)
            started = await self._start_for_key(principal, request)
            return self._answer(VoiceCallStarter(self.resources, principal), started)
        claims = await tickets.redeem(self.resources.redis, request.ticket or "")
        if claims is None:
            raise Unauthorized("Invalid, used or expired ticket")
        if claims["kind"] == "session":
            return await self._join_session(claims, request.gateway_id)
        return await self._start_twilio(claims, request)

    async def _key_holder(self, api_key: str, gateway_id: str) -> Principal:
        principal, decision = await authenticate(self.resources, api_key, f"gw:{gateway_id}")
        if not decision.allowed:
            raise RateLimited(
                "Rate limit exceeded",
                details={"limit": decision.limit, "retry_after": decision.retry_after_s},
            )
        if principal is None:
            raise Unauthorized("Invalid or revoked API key")
        if self.meter is not None:
            self.meter.count(principal.project_id)  # as a public request, once authenticated
        check_scope(principal, WRITE)
        return principal

    async def _start_for_key(
        self, principal: Principal, request: GatewayCallRequest
    ) -> StartedVoiceCall:
        project_id = principal.project_id
        await self._within_limit(project_id)
        async with self.resources.sessions() as db:
            config = await VoiceConfigService(db).get(project_id)
            agent = await find_agent(db, project_id, request.agent_id, config)
        spec, provider = configured_spec(
            agent, config, SessionOverrides(), self.resources.settings.voice.llm_models
        )
        previous = await self._history(project_id, request.history_key)
        plan = CallPlan(
            "websocket",
            agent,
            spec,
            {"transport": "websocket", "provider": provider},
            history_key=previous.history_key if previous else new_history_key(),
            continues_session_id=previous.session_id if previous else None,
        )
        starter = VoiceCallStarter(self.resources, principal)
        started = await starter.start(plan, gateway_id=request.gateway_id)
        await starter.time_limit(started.session_id, started.max_duration_s)
        return started

    async def _within_limit(self, project_id: str) -> None:
        """A key's clients past the config's `max_active_sessions` are refused (429)."""
        async with self.resources.sessions() as db:
            config = await VoiceConfigService(db).get(project_id)
            if config is None or config.max_active_sessions is None:
                return
            active = await active_voice_sessions(db, project_id)
        if len(active) >= config.max_active_sessions:
            raise QuotaExceeded(
                "Too many active voice sessions",
                details={"limit": config.max_active_sessions, "used": len(active)},
            )

    async def _history(self, project_id: str, history_key: str | None) -> VoiceCall | None:
        """The conversation's last call, if it had one within `history_ttl_s`."""
        if not history_key or len(history_key) > 64:
            return None
        since = utcnow() - timedelta(seconds=self.resources.settings.voice.history_ttl_s)
        statement = (
            select(VoiceCall)
            .where(
                VoiceCall.project_id == project_id,
                VoiceCall.history_key == history_key,
                col(VoiceCall.created_at) >= since,
            )
            .order_by(col(VoiceCall.created_at).desc())
            .limit(1)
        )
        async with self.resources.sessions() as db:
            return (await db.exec(statement)).first()

    async def _join_session(self, claims: dict[str, Any], gateway_id: str) -> GatewayCall:
        """A `joinUrl`'s session (seed 000): it started when it was created."""
        async with self.resources.sessions() as db:
            row = await db.get(CallSession, claims["session_id"])
            call = await db.get(VoiceCall, claims["session_id"])
            project = await db.get(Project, claims["project_id"])
            if row is None or call is None or project is None or row.status != "active":
                raise Unauthorized("The ticket's session has ended")
            call.gateway_id = gateway_id
            db.add(call)
            await db.commit()
            started = StartedVoiceCall(
                session_id=row.id,
                room=row.room_name,
                caller_identity=row.caller_identity or "",
                history_key=call.history_key,
                agent_name=row.agent_name or "",
                max_duration_s=call.max_duration_s,
            )
        starter = VoiceCallStarter(self.resources, project_principal(project))
        await starter.time_limit(started.session_id, started.max_duration_s)
        return self._answer(starter, started)

    async def _start_twilio(
        self, claims: dict[str, Any], request: GatewayCallRequest
    ) -> GatewayCall:
        """A Twilio call whose webhook this project answered: it starts now."""
        async with self.resources.sessions() as db:
            project = await db.get(Project, claims["project_id"])
            if project is None:
                raise Unauthorized("The ticket's project is gone")
            agent = await find_agent(db, project.id, claims.get("agent_id"))
        await self._within_limit(project.id)
        metadata = {
            "transport": "twilio",
            "direction": "inbound",
            # The signed webhook's numbers, else what the stream's start message said.
            "caller_number": claims.get("caller_number") or request.from_number,
            "callee_number": claims.get("callee_number") or request.to_number,
            "call_sid": claims.get("call_sid") or request.call_sid,
        }
        plan = CallPlan(
            "twilio", agent, AgentSpec.model_validate(agent.spec), metadata, new_history_key()
        )
        starter = VoiceCallStarter(self.resources, project_principal(project))
        started = await starter.start(plan, gateway_id=request.gateway_id)
        await starter.time_limit(started.session_id, started.max_duration_s)
        async with self.resources.sessions() as db:
            row = await db.get(CallSession, started.session_id)
            call = await db.get(VoiceCall, started.session_id)
            if row is not None and call is not None:
                await ending.record_twilio_status(db, row, call, "in_progress")
                await db.commit()
        return self._answer(starter, started)

    def _answer(self, starter: VoiceCallStarter, started: StartedVoiceCall) -> GatewayCall:
        return GatewayCall(
            session_id=started.session_id,
            history_key=started.history_key,
            agent_name=started.agent_name,
            livekit_url=self.resources.settings.client_ws_url,
            room=started.room,
            token=starter.caller_token(started.room, started.caller_identity),
            max_duration_s=started.max_duration_s,
        )

    async def end_call(self, session_id: str, reason: EndReason) -> None:
        async with self.resources.sessions() as db:
            row = await db.get(CallSession, session_id)
            call = await db.get(VoiceCall, session_id)
            if row is None or call is None:
                raise NotFound("Session not found", details={"id": session_id})
            if reason in _NOW:
                await ending.close_call(self.resources, db, row, call, _NOW[reason])
                return
            # The phone call itself is over; the agent closes the session with its last turns.
            await ending.record_twilio_status(db, row, call, "completed")
            await db.commit()
            if row.status == "active":
                await ending.end_soon(self.resources, session_id, _LATER[reason])

    async def restarted(self, gateway_id: str) -> list[str]:
        async with self.resources.sessions() as db:
            lost = await ending.active_calls_of_gateway(db, gateway_id)
            for row, call in lost:
                await ending.close_call(self.resources, db, row, call, "gateway_restart")
        return [row.id for row, _ in lost]
