"""The gateway's ASGI app: a health endpoint and the client-facing WebSocket routes.

`create_app(settings)` builds everything in the lifespan. On start the gateway tells the
control plane it (re)started, which ends as failed every call its previous life left active;
it takes no call before that succeeded, so no new call is ended by mistake.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources

import httpx
from litestar import Litestar, MediaType, Response, WebSocket, get, websocket
from litestar.datastructures import State

from gateway.connection import Gateway
from gateway.contracts import (
    TWILIO_STREAM_PATH,
    WS_TICKET_PATH,
    WS_VOICE_PATH,
    GatewayCallRequest,
)
from gateway.control_plane import ControlPlane
from gateway.serializers import PlainSerializer, Serializer, TwilioSerializer
from gateway.serializers.plain import AudioFormat
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

RESTART_RETRY_MAX_S = 10.0
EXAMPLE_PAGE_PATH = "/examples/voice"
"""The SDK-free browser example: open it with `#joinUrl=<joinUrl of POST /voice/sessions>`."""
EXAMPLE_PAGE = resources.files("gateway").joinpath("examples/voice.html").read_bytes()


def _gateway(state: State) -> Gateway:
    gateway: Gateway = state.gateway
    return gateway


@get("/healthz", media_type=MediaType.JSON, include_in_schema=False, sync_to_thread=False)
def health(state: State) -> Response[dict[str, object]]:
    gateway = _gateway(state)
    ready = gateway.ready.is_set()
    body: dict[str, object] = {
        "ready": ready,
        "activeCalls": len(gateway.active_calls),
    }
    return Response(body, status_code=200 if ready else 503)


@get(EXAMPLE_PAGE_PATH, include_in_schema=False, sync_to_thread=False)
def example_page() -> Response[bytes]:
    """Served by the gateway so the page and its WebSocket share an origin; it holds no
    secret: the joinUrl arrives in the URL's fragment, which the browser never sends."""
    return Response(
        EXAMPLE_PAGE,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-cache", "Referrer-Policy": "no-referrer"},
    )


def _plain(gateway: Gateway, audio_format: str) -> Serializer | None:
    if audio_format not in ("wav", "mp3"):
        return None
    chosen: AudioFormat = "mp3" if audio_format == "mp3" else "wav"
    chunk_ms = gateway.settings.mp3_chunk_ms if chosen == "mp3" else gateway.settings.wav_chunk_ms
    return PlainSerializer(chosen, chunk_ms=chunk_ms)


async def _bad_format(socket: WebSocket) -> None:
    await socket.accept()
    await socket.send_text('{"type":"error","message":"format must be wav or mp3"}')
    await socket.close(1008)


@websocket(WS_VOICE_PATH)
async def voice(
    socket: WebSocket,
    state: State,
    api_key: str | None = None,
    agent_id: str | None = None,
    session_id: str | None = None,
    format: str = "wav",
) -> None:
    gateway = _gateway(state)
    serializer = _plain(gateway, format)
    if serializer is None:
        await _bad_format(socket)
        return
    request = GatewayCallRequest(
        transport="websocket",
        gateway_id=gateway.settings.gateway_id,
        api_key=api_key or None,
        agent_id=agent_id or None,
        history_key=session_id or None,
    )
    await gateway.serve(socket, serializer, request)


@websocket(WS_TICKET_PATH.replace("{ticket}", "{ticket:str}"))
async def voice_ticket(
    socket: WebSocket,
    state: State,
    ticket: str,
    format: str = "wav",
) -> None:
    gateway = _gateway(state)
    serializer = _plain(gateway, format)
    if serializer is None:
        await _bad_format(socket)
        return
    request = GatewayCallRequest(
        transport="websocket", gateway_id=gateway.settings.gateway_id, ticket=ticket
    )
    await gateway.serve(socket, serializer, request)


@websocket(TWILIO_STREAM_PATH)
async def twilio_stream(socket: WebSocket, state: State) -> None:
    gateway = _gateway(state)
    request = GatewayCallRequest(transport="twilio", gateway_id=gateway.settings.gateway_id)
    await gateway.serve(socket, TwilioSerializer(), request)


async def _announce_restart(gateway: Gateway) -> None:
    """Until the control plane answers: it may start after the gateway or be restarting."""
    delay = 0.2
    while True:
        try:
            result = await gateway.control_plane.restarted(gateway.settings.gateway_id)
        except httpx.HTTPError:
            await asyncio.sleep(delay)
            delay = min(delay * 2, RESTART_RETRY_MAX_S)
            continue
        logger.info("previous calls ended", extra={"ended": len(result.ended)})
        gateway.ready.set()
        return


def create_app(settings: GatewaySettings) -> Litestar:
    secret = settings.require_secret()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        control_plane = ControlPlane(
            settings.control_plane_url, secret, timeout_s=settings.control_plane_timeout_s
        )
        gateway = Gateway(settings, control_plane)
        app.state.gateway = gateway
        announce = asyncio.create_task(_announce_restart(gateway), name="gateway.announce")
        try:
            yield
        finally:
            announce.cancel()
            await asyncio.gather(announce, return_exceptions=True)
            await control_plane.aclose()

    return Litestar(
        route_handlers=[health, example_page, voice, voice_ticket, twilio_stream],
        lifespan=[lifespan],
        openapi_config=None,
    )
