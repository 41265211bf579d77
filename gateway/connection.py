"""One client connection, start to end: ask the control plane for the call, join its room
through a `RoomBridge`, relay both ways through the carrier's `Serializer`, and end the call
through the control plane whatever way the connection ends. Nothing outlives the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from dataclasses import dataclass

import msgspec
from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect
from livekit import rtc

from gateway.bridge import AgentAudio, BargeIn, RoomBridge, RoomClosed, Transcript, UtteranceEnd
from gateway.contracts import (
    CLOSE_NORMAL,
    CLOSE_RATE_LIMITED,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNAVAILABLE,
    EndReason,
    GatewayCall,
    GatewayCallRequest,
    close_code_for_status,
)
from gateway.control_plane import CallRefused, ControlPlane
from gateway.serializers import (
    Audio,
    Dtmf,
    Hangup,
    Message,
    ProtocolError,
    Serializer,
    Start,
)
from gateway.settings import GatewaySettings

logger = logging.getLogger(__name__)

CLOSE_TOO_BIG = 1009


@dataclass(frozen=True)
class Ending:
    reason: EndReason
    close_code: int = CLOSE_NORMAL
    message: str | None = None


class Refused(Exception):
    """The call could not start; the client is told why and closed with `close_code`."""

    def __init__(self, close_code: int, message: str) -> None:
        super().__init__(message)
        self.close_code = close_code
        self.message = message


class Gateway:
    """What the gateway process shares between connections."""

    def __init__(self, settings: GatewaySettings, control_plane: ControlPlane) -> None:
        self.settings = settings
        self.control_plane = control_plane
        self.ready = asyncio.Event()
        """Set once the control plane ended the calls of this gateway's previous life."""
        self.shutting_down = False
        self.active_calls: set[str] = set()
        self._per_key: Counter[str] = Counter()

    async def serve(
        self,
        socket: WebSocket,
        serializer: Serializer,
        request: GatewayCallRequest,
    ) -> None:
        await socket.accept()
        key = request.api_key
        if key is not None and self._per_key[key] >= self.settings.max_connections_per_key:
            await _refuse(socket, serializer, CLOSE_RATE_LIMITED, "too many connections")
            return
        if key is not None:
            self._per_key[key] += 1
        try:
            try:
                call = await self._start_call(socket, serializer, request)
            except Refused as exc:
                await _refuse(socket, serializer, exc.close_code, exc.message)
                return
            except WebSocketDisconnect:
                with contextlib.suppress(Exception):  # a Twilio `stop` before its `start`
                    await socket.close(CLOSE_NORMAL)
                return
            await self._bridge(socket, serializer, call)
        finally:
            if key is not None:
                self._per_key[key] -= 1
                if not self._per_key[key]:
                    del self._per_key[key]

    async def _start_call(
        self, socket: WebSocket, serializer: Serializer, request: GatewayCallRequest
    ) -> GatewayCall:
        timeout = self.settings.start_timeout_s
        if serializer.waits_for_start:
            try:
                start = await asyncio.wait_for(self._wait_for_start(socket, serializer), timeout)
            except TimeoutError as exc:
                raise Refused(CLOSE_UNAUTHORIZED, "no start message") from exc
            except ProtocolError as exc:
                raise Refused(exc.close_code, exc.message) from exc
            if not start.ticket:
                raise Refused(CLOSE_UNAUTHORIZED, "the stream carries no ticket")
            request = msgspec.structs.replace(
                request,
                ticket=start.ticket,
                call_sid=start.call_sid,
                stream_sid=start.stream_sid,
                from_number=start.parameters.get("from"),
                to_number=start.parameters.get("to"),
            )
        if not (request.ticket or request.api_key):
            raise Refused(CLOSE_UNAUTHORIZED, "a ticket or an API key is required")
        try:
            await asyncio.wait_for(self.ready.wait(), timeout)
        except TimeoutError as exc:
            raise Refused(CLOSE_UNAVAILABLE, "the gateway is starting") from exc
        try:
            return await self.control_plane.start_call(request)
        except CallRefused as exc:
            raise Refused(close_code_for_status(exc.status), exc.message) from exc

    async def _wait_for_start(self, socket: WebSocket, serializer: Serializer) -> Start:
        while True:
            event = serializer.decode(await _receive(socket, self.settings.max_frame_bytes))
            if isinstance(event, Start):
                return event
            if isinstance(event, Hangup):
                raise WebSocketDisconnect(detail="stopped before start")

    async def _bridge(self, socket: WebSocket, serializer: Serializer, call: GatewayCall) -> None:
        self.active_calls.add(call.session_id)
        bridge = RoomBridge(serializer.sample_rate)
        # The client's audio is read (and dropped) while the room is joined: read only after,
        # it would reach the agent as a backlog, late by the join's duration for the whole call.
        inbound = asyncio.create_task(self._inbound(socket, serializer, bridge), name="inbound")
        ending = Ending("error", CLOSE_UNAVAILABLE, "the call could not be connected")
        try:
            join = asyncio.create_task(
                asyncio.wait_for(
                    bridge.join(call.livekit_url, call.token), self.settings.start_timeout_s
                ),
                name="join",
            )
            await asyncio.wait({join, inbound}, return_when=asyncio.FIRST_COMPLETED)
            if not join.done():  # the client went while the room was joined
                join.cancel()
                await asyncio.gather(join, return_exceptions=True)
                ending = inbound.result()
                return
            join.result()
            await _send(socket, serializer.connected(call))
            ending = await self._relay(socket, serializer, bridge, inbound, call.max_duration_s)
        except asyncio.CancelledError:
            ending = Ending("gateway_shutdown", CLOSE_NORMAL)
            raise
        except (TimeoutError, rtc.ConnectError):
            logger.warning("room join failed", extra={"session_id": call.session_id})
        except Exception:
            logger.exception("call bridge failed", extra={"session_id": call.session_id})
        finally:
            inbound.cancel()
            await asyncio.gather(inbound, return_exceptions=True)
            if self.shutting_down and ending.reason == "caller_hangup":
                ending = Ending("gateway_shutdown", CLOSE_NORMAL)
            await bridge.aclose()
            logger.info(
                "call ended",
                extra={
                    "session_id": call.session_id,
                    "reason": ending.reason,
                    "dropped_caller_audio_s": round(bridge.dropped_s, 2),
                },
            )
            await self.control_plane.end_call(call.session_id, ending.reason)
            self.active_calls.discard(call.session_id)
            if ending.message:
                with contextlib.suppress(Exception):
                    await _send(socket, serializer.error(ending.message))
            with contextlib.suppress(Exception):
                await socket.close(ending.close_code)

    async def _relay(
        self,
        socket: WebSocket,
        serializer: Serializer,
        bridge: RoomBridge,
        inbound: asyncio.Task[Ending],
        max_duration_s: int,
    ) -> Ending:
        outbound = asyncio.create_task(self._outbound(socket, serializer, bridge), name="outbound")
        try:
            done, _ = await asyncio.wait(
                {inbound, outbound}, timeout=max_duration_s, return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                return Ending("max_duration", CLOSE_NORMAL)
            return done.pop().result()
        finally:
            outbound.cancel()
            await asyncio.gather(outbound, return_exceptions=True)

    async def _inbound(
        self, socket: WebSocket, serializer: Serializer, bridge: RoomBridge
    ) -> Ending:
        try:
            while True:
                event = serializer.decode(await _receive(socket, self.settings.max_frame_bytes))
                if isinstance(event, Audio):
                    await bridge.push_audio(event.pcm)
                elif isinstance(event, Dtmf):
                    await bridge.send_dtmf(event.digit)
                elif isinstance(event, Hangup):
                    return Ending("caller_hangup", CLOSE_NORMAL)
        except WebSocketDisconnect as exc:
            if exc.code == CLOSE_TOO_BIG:
                return Ending("protocol_error", CLOSE_TOO_BIG)
            return Ending("caller_hangup", CLOSE_NORMAL)
        except ProtocolError as exc:
            return Ending("protocol_error", exc.close_code, exc.message)

    async def _outbound(
        self, socket: WebSocket, serializer: Serializer, bridge: RoomBridge
    ) -> Ending:
        while True:
            event = await bridge.events.get()
            if isinstance(event, AgentAudio):
                messages = serializer.agent_audio(event.pcm)
            elif isinstance(event, UtteranceEnd):
                messages = serializer.utterance_end()
            elif isinstance(event, BargeIn):
                messages = serializer.barge_in()
            elif isinstance(event, Transcript):
                messages = serializer.transcript(event.role, event.text, event.final)
            elif isinstance(event, RoomClosed):
                return Ending("agent_left", CLOSE_NORMAL)
            try:
                await _send(socket, messages)
            except (WebSocketDisconnect, OSError, RuntimeError):
                return Ending("caller_hangup", CLOSE_NORMAL)


async def _receive(socket: WebSocket, max_bytes: int) -> Message:
    event = await socket.receive()
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(detail="client disconnected", code=event.get("code", 1000))
    raw = event.get("bytes")
    data: Message = raw if isinstance(raw, bytes) else str(event.get("text") or "")
    if len(data) > max_bytes:
        raise ProtocolError(f"messages are limited to {max_bytes} bytes", CLOSE_TOO_BIG)
    return data


async def _send(socket: WebSocket, messages: list[Message]) -> None:
    for message in messages:
        if isinstance(message, bytes):
            await socket.send_bytes(message)
        else:
            await socket.send_text(message)


async def _refuse(socket: WebSocket, serializer: Serializer, code: int, message: str) -> None:
    with contextlib.suppress(Exception):
        await _send(socket, serializer.error(message))
        await socket.close(code)
