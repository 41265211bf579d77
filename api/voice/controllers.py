"""Routes of voice without an SDK: `/config`, `/voice/sessions`, `/twilio/voice`, and the
media gateway's internal endpoints."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from litestar import Controller, MediaType, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, FromPath, JSONBody, QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import READ, WRITE, authenticate_request
from api.deps import resources_of
from api.errors import Forbidden
from api.idempotency import IdempotentOperation, idempotency_key, run_once
from api.openapi import errors
from api.projects.schemas import Principal
from api.requests import decode_body, header
from api.resources import Resources
from api.usage.hooks import METER_STATE
from api.voice import tickets, twilio
from api.voice.gateway import GatewayService, check_gateway_secret
from api.voice.schemas import (
    TwilioVoiceForm,
    VoiceConfigRead,
    VoiceConfigUpdate,
    VoiceSessionCreate,
    VoiceSessionCreated,
    VoiceSessionId,
)
from api.voice.services import (
    VoiceConfigService,
    VoiceSessionService,
    config_read,
    find_agent,
)
from gateway.contracts import (
    TWILIO_STREAM_PATH,
    TWILIO_TICKET_PARAMETER,
    GatewayCall,
    GatewayCallEnd,
    GatewayCallRequest,
    GatewayRestarted,
)


class VoiceConfigController(Controller):
    path = "/config"
    tags = ["voice"]

    @get(operation_id="getVoiceConfig", opt=READ)
    async def get_config(
        self, db_session: NamedDependency[AsyncSession], principal: NamedDependency[Principal]
    ) -> VoiceConfigRead:
        """The project's defaults for voice sessions."""
        return config_read(await VoiceConfigService(db_session).get(principal.project_id))

    @put(operation_id="updateVoiceConfig", opt=WRITE | errors(404), status_code=200)
    async def update_config(
        self,
        data: JSONBody[VoiceConfigUpdate],
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
    ) -> VoiceConfigRead:
        """Change any of the defaults; the others keep their value."""
        return await VoiceConfigService(db_session).update(principal.project_id, data)


class VoiceSessionController(Controller):
    path = "/voice/sessions"
    tags = ["voice"]

    @post(
        operation_id="createVoiceSession",
        operation_class=IdempotentOperation,
        opt=WRITE | errors(404, 409, 503),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[VoiceSessionCreate],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> VoiceSessionCreated:
        """Start a voice session and get its `joinUrl`: a plain WebSocket URL, valid once and
        for a minute, that a browser opens to talk to the agent (no SDK, no API key). 409
        when the config's `max_active_sessions` are active (their ids in `details`)."""
        service = VoiceSessionService(resources, principal)
        return await run_once(
            resources.redis,
            project_id=principal.project_id,
            operation="voice-session",
            key=idempotency_key(request.scope),
            body=data,
            ttl_s=resources.settings.idempotency_ttl_s,
            response_type=VoiceSessionCreated,
            action=lambda: service.create(data),
        )

    @delete("/{session_id:str}", operation_id="endVoiceSession", opt=WRITE)
    async def end(
        self,
        session_id: VoiceSessionId,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> None:
        """End the session now: its WebSocket closes and the agent leaves."""
        await VoiceSessionService(resources, principal).end(session_id)


async def _authenticate_twilio(request: Request[Any, Any, Any]) -> None:
    """Twilio calls the webhook with the key in its URL (it sends no headers of ours)."""
    await authenticate_request(request, fallback_key=request.query_params.get("api_key"))
    meter = getattr(request.app.state, METER_STATE, None)
    if meter is not None:
        meter.count(request.scope["auth"].project_id)


async def _signed_by_twilio(request: Request[Any, Any, Any], auth_token: str) -> bool:
    """Twilio signs the URL it requested: this one, or the public API URL's equivalent
    behind a proxy."""
    params = parse_qsl((await request.body()).decode("latin-1"), keep_blank_values=True)
    urls = [str(request.url)]
    public = resources_of(request).settings.public_api_url
    if public:
        query = f"?{request.url.query}" if request.url.query else ""
        urls.append(public.rstrip("/") + request.url.path + query)
    given = header(request.scope, twilio.SIGNATURE_HEADER)
    return twilio.is_signed(auth_token, given, urls, params)


class TwilioController(Controller):
    path = "/twilio"
    tags = ["voice"]

    @post(
        "/voice",
        operation_id="answerTwilioCall",
        opt=WRITE | errors(404),
        status_code=200,
        media_type=MediaType.XML,
        before_request=_authenticate_twilio,
    )
    async def voice(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[TwilioVoiceForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        principal: NamedDependency[Principal],
        api_key: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                description="The project API key, for Twilio, which sends no headers of ours "
                "(a header key wins if both are given)",
            ),
        ] = None,
        agent_id: Annotated[
            str | None,
            QueryParameter(
                max_length=40, description="The agent (`agt_...`); default: the first active"
            ),
        ] = None,
    ) -> Response[str]:
        """Twilio's voice webhook: answers TwiML that streams the call to the media gateway,
        where the agent takes it. The stream carries a one-time ticket, never the key. With
        `VOXROOM_TWILIO_AUTH_TOKEN` set, a request without Twilio's valid
        `X-Twilio-Signature` is refused (403)."""
        content_type = header(request.scope, b"content-type") or ""
        if not content_type.startswith(RequestEncodingType.URL_ENCODED.value):
            raise HTTPException(status_code=415, detail="Send Twilio's form-encoded parameters")
        resources = resources_of(request)
        settings = resources.settings
        token = settings.twilio_auth_token.get_secret_value()
        if token and not await _signed_by_twilio(request, token):
            raise Forbidden("Invalid Twilio signature")
        async with resources.sessions() as db:
            agent = await find_agent(db, principal.project_id, agent_id)
        ticket = await tickets.issue(
            resources.redis,
            {
                "kind": "twilio",
                "project_id": principal.project_id,
                "agent_id": agent.id,
                "caller_number": data.From,
                "callee_number": data.To,
                "call_sid": data.CallSid,
            },
            settings.voice.ticket_ttl_s,
        )
        stream_url = settings.gateway_public_url.rstrip("/") + TWILIO_STREAM_PATH
        return Response(
            twilio.connect_stream(stream_url, {TWILIO_TICKET_PARAMETER: ticket}),
            media_type=MediaType.XML,
        )


class GatewayController(Controller):
    """The media gateway's calls (`gateway.contracts`), with the shared gateway secret."""

    path = "/internal/v1/gateway"
    tags = ["internal"]
    include_in_schema = False

    @post("/calls", operation_id="gatewayStartCall", status_code=201)
    async def start_call(self, request: Request[Any, Any, Any]) -> GatewayCall:
        resources = resources_of(request)
        check_gateway_secret(resources, header(request.scope, b"authorization"))
        data = decode_body(await request.body(), GatewayCallRequest)
        meter = getattr(request.app.state, METER_STATE, None)
        return await GatewayService(resources, meter).start_call(data)

    @post("/calls/{session_id:str}/end", operation_id="gatewayEndCall", status_code=204)
    async def end_call(self, session_id: FromPath[str], request: Request[Any, Any, Any]) -> None:
        resources = resources_of(request)
        check_gateway_secret(resources, header(request.scope, b"authorization"))
        data = decode_body(await request.body(), GatewayCallEnd)
        await GatewayService(resources).end_call(session_id, data.reason)

    @post("/{gateway_id:str}/restarted", operation_id="gatewayRestarted", status_code=200)
    async def restarted(
        self, gateway_id: FromPath[str], request: Request[Any, Any, Any]
    ) -> GatewayRestarted:
        resources = resources_of(request)
        check_gateway_secret(resources, header(request.scope, b"authorization"))
        return GatewayRestarted(ended=await GatewayService(resources).restarted(gateway_id))
