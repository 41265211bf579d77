"""Project voice defaults, and starting voice calls for every SDK-free entry point.

Three entry points start calls here: `POST /voice/sessions` (the call starts at once and the
browser joins it later with a one-time ticket), the gateway's `/ws/voice?api_key=` clients,
and Twilio calls (both start when the gateway connects them). All go through
`CallService.start`, one session per call with `session_type` `websocket` or `twilio`.

Which agent runs: the one named, else (for `POST /voice/sessions` and `/ws/voice`, whose
defaults come from `/config`) the config's `agent_config_id`, else the project's first active
agent (oldest first); none is a 404. A voice session's `prompt` (or the config's) replaces that
agent's instructions for the call; `language`, `max_duration` and `provider` override its own
the same way. `/ws/voice` takes the config's values (it has no per-call overrides); Twilio
calls run the agent as it is configured.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from api.agents.models import AgentConfig
from api.calls.services import CallService
from api.db import utcnow
from api.errors import Conflict, NotFound
from api.projects.schemas import Principal
from api.resources import Resources
from api.sessions.models import CallSession
from api.sessions.services import SessionService
from api.voice import ending, tickets
from api.voice.models import VoiceCall, VoiceConfig
from api.voice.schemas import (
    DEFAULT_LANGUAGE,
    DEFAULT_MAX_DURATION,
    DEFAULT_PROMPT,
    VoiceConfigRead,
    VoiceConfigUpdate,
    VoiceSessionCreate,
    VoiceSessionCreated,
    context_lines,
)
from gateway.contracts import WS_TICKET_PATH

CALLER_TOKEN_TTL_S = 600
"""LiveKit checks a token's expiry only at connect and refreshes a connected participant's."""


def config_read(row: VoiceConfig | None) -> VoiceConfigRead:
    if row is None:
        return VoiceConfigRead(
            agent_config_id=None,
            prompt=DEFAULT_PROMPT,
            language=DEFAULT_LANGUAGE,
            max_duration=DEFAULT_MAX_DURATION,
            provider="basic",
            max_active_sessions=None,
            updated_at=None,
        )
    return VoiceConfigRead(
        agent_config_id=row.agent_config_id,
        prompt=row.prompt or DEFAULT_PROMPT,
        language=row.language or DEFAULT_LANGUAGE,
        max_duration=row.max_duration,
        provider=row.provider,
        max_active_sessions=row.max_active_sessions,
        updated_at=row.updated_at,
    )


class VoiceConfigService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, project_id: str) -> VoiceConfig | None:
        return await self.session.get(VoiceConfig, project_id)

    async def update(self, project_id: str, data: VoiceConfigUpdate) -> VoiceConfigRead:
        changes = data.model_dump(exclude_unset=True)
        if changes.get("agent_config_id"):
            await find_agent(self.session, project_id, changes["agent_config_id"])
        row = await self.get(project_id) or VoiceConfig(project_id=project_id)
        for name, value in changes.items():
            if value is None and name in ("max_duration", "provider"):
                continue  # not nullable: null keeps the value
            setattr(row, name, value)
        row.updated_at = utcnow()
        self.session.add(row)
        await self.session.commit()
        await self.session.refresh(row)
        return config_read(row)


async def find_agent(
    db: AsyncSession, project_id: str, agent_id: str | None, config: VoiceConfig | None = None
) -> AgentConfig:
    """The agent a voice call runs (see the module's docstring); 404 naming the field."""
    wanted = agent_id or (config.agent_config_id if config else None)
    if wanted:
        agent = await db.get(AgentConfig, wanted)
        if agent is None or agent.project_id != project_id or not agent.is_active:
            raise NotFound(
                "Agent not found or not active",
                details={"field": "agent_config_id", "id": wanted},
            )
        return agent
    statement = (
        select(AgentConfig)
        .where(AgentConfig.project_id == project_id, col(AgentConfig.is_active))
        .order_by(col(AgentConfig.created_at), col(AgentConfig.id))
        .limit(1)
    )
    agent = (await db.exec(statement)).first()
    if agent is None:
        raise NotFound(
            "The project has no active agent: create one, or name one in /config",
            details={"field": "agent_config_id"},
        )
    return agent


async def active_voice_sessions(db: AsyncSession, project_id: str) -> list[str]:
    statement = (
        select(CallSession.id)
        .where(
            VoiceCall.session_id == CallSession.id,
            VoiceCall.project_id == project_id,
            CallSession.project_id == project_id,
            col(CallSession.status) == "active",
        )
        .order_by(col(CallSession.started_at))
    )
    return list((await db.exec(statement)).all())


@dataclass(frozen=True, slots=True)
class CallPlan:
    """A voice call about to start: who calls which agent, configured how."""

    transport: str
    agent: AgentConfig
    spec: AgentSpec
    metadata: dict[str, Any]
    history_key: str
    continues_session_id: str | None = None


@dataclass(frozen=True, slots=True)
class StartedVoiceCall:
    session_id: str
    room: str
    caller_identity: str
    history_key: str
    agent_name: str
    max_duration_s: int


def new_history_key() -> str:
    return "hist_" + secrets.token_hex(12)


class VoiceCallStarter:
    """Starts a planned voice call through the call lifecycle and records its gateway side."""

    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def start(self, plan: CallPlan, *, gateway_id: str | None) -> StartedVoiceCall:
        identity = f"{plan.transport}-{secrets.token_hex(4)}"
        metadata = dict(plan.metadata)
        if plan.continues_session_id:
            metadata["continues_session_id"] = plan.continues_session_id
        call = await CallService(self.resources, self.principal).start(
            f"voice-{secrets.token_hex(6)}",
            identity,
            [plan.agent.id],
            session_type=plan.transport,
            metadata=metadata,
            adjust_spec=lambda _: plan.spec,
            resume=plan.continues_session_id is not None,
        )
        session_id = call.sessions[0].session_id
        async with self.resources.sessions() as db:
            db.add(
                VoiceCall(
                    session_id=session_id,
                    project_id=self.principal.project_id,
                    transport=plan.transport,
                    history_key=plan.history_key,
                    gateway_id=gateway_id,
                    max_duration_s=plan.spec.max_duration_s,
                )
            )
            await db.commit()
        return StartedVoiceCall(
            session_id=session_id,
            room=call.room,
            caller_identity=identity,
            history_key=plan.history_key,
            agent_name=plan.spec.name,
            max_duration_s=plan.spec.max_duration_s,
        )

    async def time_limit(self, session_id: str, max_duration_s: int) -> None:
        """The control plane's own end of the call, should the agent's and gateway's fail."""
        due = time.time() + max_duration_s + self.resources.settings.voice.end_grace_s
        await ending.end_at(self.resources, session_id, due, "max_duration")

    def caller_token(self, room: str, identity: str) -> str:
        """A LiveKit token for the gateway's participant: join, talk, listen; nothing more
        (publish, subscribe and data set explicitly: LiveKit allows them when unset)."""
        now = int(time.time())
        return self.resources.signer.sign(
            {
                "iss": self.resources.signer.api_key,
                "sub": identity,
                "nbf": now,
                "exp": now + CALLER_TOKEN_TTL_S,
                "video": {
                    "roomJoin": True,
                    "room": room,
                    "canPublish": True,
                    "canSubscribe": True,
                    "canPublishData": True,
                    "canPublishSources": ["microphone"],
                    "canUpdateOwnMetadata": False,
                    "hidden": False,
                },
            }
        )


def session_spec(
    agent: AgentConfig,
    *,
    prompt: str | None,
    language: str | None,
    max_duration: int | None,
    provider: str | None,
    context: dict[str, Any] | None,
    llm_models: dict[str, str],
) -> AgentSpec:
    """The agent's config with a voice session's overrides."""
    spec = AgentSpec.model_validate(agent.spec)
    instructions = prompt or spec.instructions
    if context:
        instructions += context_lines(context)
    update: dict[str, Any] = {"instructions": instructions[:20_000]}
    if language:
        update["language"] = language
    if max_duration:
        update["max_duration_s"] = max_duration
    model = llm_models.get(provider or "")
    if model and spec.llm.provider in ("auto", "openai"):
        update["llm"] = spec.llm.model_copy(update={"model": model})
    return spec.model_copy(update=update)


@dataclass(frozen=True, slots=True)
class SessionOverrides:
    """What one voice session asks for; what it leaves out comes from `/config`."""

    prompt: str | None = None
    language: str | None = None
    max_duration: int | None = None
    provider: str | None = None
    context: dict[str, Any] | None = None


def configured_spec(
    agent: AgentConfig,
    config: VoiceConfig | None,
    overrides: SessionOverrides,
    llm_models: dict[str, str],
) -> tuple[AgentSpec, str]:
    """The agent's spec for a voice session with the project's defaults, and its provider."""
    provider = overrides.provider or (config.provider if config else "basic")
    spec = session_spec(
        agent,
        prompt=overrides.prompt or (config.prompt if config else None),
        language=overrides.language or (config.language if config else None),
        max_duration=overrides.max_duration
        or (config.max_duration if config else DEFAULT_MAX_DURATION),
        provider=provider,
        context=overrides.context,
        llm_models=llm_models,
    )
    return spec, provider


class VoiceSessionService:
    """`POST /voice/sessions` and `DELETE /voice/sessions/{id}` (seed 000)."""

    def __init__(self, resources: Resources, principal: Principal) -> None:
        self.resources = resources
        self.principal = principal

    async def create(self, data: VoiceSessionCreate) -> VoiceSessionCreated:
        settings = self.resources.settings
        project_id = self.principal.project_id
        async with self.resources.sessions() as db:
            config = await VoiceConfigService(db).get(project_id)
            if config is not None and config.max_active_sessions is not None:
                active = await active_voice_sessions(db, project_id)
                if len(active) >= config.max_active_sessions:
                    raise Conflict(
                        "Too many active voice sessions: end one first",
                        details={
                            "active_session_ids": active,
                            "max_active_sessions": config.max_active_sessions,
                        },
                    )
            agent = await find_agent(db, project_id, data.agent_config_id, config)
        overrides = SessionOverrides(
            prompt=data.prompt,
            language=data.language,
            max_duration=data.max_duration,
            provider=data.provider,
            context=data.context,
        )
        spec, provider = configured_spec(agent, config, overrides, settings.voice.llm_models)
        metadata: dict[str, Any] = {"transport": "websocket", "provider": provider}
        if data.context:
            metadata["context"] = data.context
        starter = VoiceCallStarter(self.resources, self.principal)
        plan = CallPlan("websocket", agent, spec, metadata, new_history_key())
        started = await starter.start(plan, gateway_id=None)
        ttl_s = settings.voice.ticket_ttl_s
        ticket = await tickets.issue(
            self.resources.redis,
            {"kind": "session", "project_id": project_id, "session_id": started.session_id},
            ttl_s,
        )
        # Unused once its ticket expired, the session can never be joined: it ends then.
        await ending.end_at(self.resources, started.session_id, time.time() + ttl_s, "no_show")
        base = settings.gateway_public_url.rstrip("/")
        return VoiceSessionCreated(
            session_id=started.session_id,
            status="active",
            joinUrl=base + WS_TICKET_PATH.format(ticket=ticket),
            expiresIn=ttl_s,
            maxDuration=spec.max_duration_s,
            agent_config_id=agent.id,
        )

    async def end(self, session_id: str) -> None:
        """End the session now (`manual`); ending an ended session changes nothing."""
        async with self.resources.sessions() as db:
            row = await SessionService(db).get(self.principal.project_id, session_id)
            call = await db.get(VoiceCall, session_id)
            if call is None:
                raise NotFound("Voice session not found", details={"id": session_id})
            if row.status == "active":
                await ending.close_call(self.resources, db, row, call, "manual")
