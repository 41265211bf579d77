"""Twilio Media Streams (bidirectional `<Connect><Stream>`): JSON text messages carrying
base64 μ-law 8 kHz audio.

In: `connected`, `start` (the ticket rides in `customParameters`), `media`, `mark`, `dtmf`,
`stop`. Out: `media`, `mark` (one per finished agent utterance), `clear` when the caller
barges in (Twilio drops the audio it has buffered). Twilio has no transcript or error
message: those are left out.
"""

from __future__ import annotations

import base64
import binascii
import json
import warnings
from typing import Any

from gateway.contracts import TWILIO_TICKET_PARAMETER, GatewayCall
from gateway.serializers.base import (
    Audio,
    Dtmf,
    Hangup,
    Inbound,
    Message,
    ProtocolError,
    Role,
    Serializer,
    Start,
)

with warnings.catch_warnings():
    # audioop is in the standard library up to 3.12, which is what Voxroom supports.
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

SAMPLE_RATE = 8_000
SAMPLE_WIDTH = 2
DTMF_DIGITS = frozenset("0123456789*#ABCD")


def ulaw_to_pcm16(payload: bytes) -> bytes:
    return audioop.ulaw2lin(payload, SAMPLE_WIDTH)


def pcm16_to_ulaw(pcm: bytes) -> bytes:
    return audioop.lin2ulaw(pcm, SAMPLE_WIDTH)


class TwilioSerializer(Serializer):
    sample_rate = SAMPLE_RATE
    waits_for_start = True

    def __init__(self) -> None:
        self.stream_sid: str | None = None
        self._marks = 0

    def decode(self, message: Message) -> Inbound | None:
        if isinstance(message, bytes):
            raise ProtocolError("Twilio Media Streams messages are JSON text")
        try:
            event = json.loads(message)
        except ValueError as exc:
            raise ProtocolError("a message is not JSON") from exc
        if not isinstance(event, dict):
            raise ProtocolError("a message is not a JSON object")
        kind = event.get("event")
        if kind == "media":
            return self._media(event)
        if kind == "start":
            return self._start(event)
        if kind == "dtmf":
            digit = _field(event, "dtmf", "digit")
            return Dtmf(digit) if digit in DTMF_DIGITS else None
        if kind == "stop":
            return Hangup()
        if kind in ("connected", "mark"):
            return None
        raise ProtocolError("unknown Media Streams event")

    def _start(self, event: dict[str, Any]) -> Start:
        start = event.get("start")
        if not isinstance(start, dict):
            raise ProtocolError("`start` without its `start` object")
        media_format = start.get("mediaFormat") or {}
        if media_format and (
            media_format.get("encoding") != "audio/x-mulaw"
            or media_format.get("sampleRate") != SAMPLE_RATE
        ):
            raise ProtocolError("only audio/x-mulaw at 8000 Hz is supported")
        parameters = start.get("customParameters") or {}
        if not isinstance(parameters, dict):
            raise ProtocolError("`customParameters` is not an object")
        parameters = {str(k): str(v) for k, v in parameters.items()}
        self.stream_sid = _text(start.get("streamSid")) or _text(event.get("streamSid"))
        return Start(
            ticket=parameters.get(TWILIO_TICKET_PARAMETER),
            call_sid=_text(start.get("callSid")),
            stream_sid=self.stream_sid,
            parameters=parameters,
        )

    def _media(self, event: dict[str, Any]) -> Audio | None:
        if _field(event, "media", "track") not in (None, "inbound"):
            return None
        payload = _field(event, "media", "payload")
        if not payload:
            return None
        try:
            ulaw = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ProtocolError("`media.payload` is not base64") from exc
        return Audio(ulaw_to_pcm16(ulaw))

    def connected(self, call: GatewayCall) -> list[Message]:
        return []

    def _message(self, kind: str, **fields: object) -> str:
        return json.dumps({"event": kind, "streamSid": self.stream_sid, **fields})

    def agent_audio(self, pcm: bytes) -> list[Message]:
        payload = base64.b64encode(pcm16_to_ulaw(pcm)).decode("ascii")
        return [self._message("media", media={"payload": payload})]

    def utterance_end(self) -> list[Message]:
        self._marks += 1
        return [self._message("mark", mark={"name": f"utterance-{self._marks}"})]

    def barge_in(self) -> list[Message]:
        return [self._message("clear")]

    def transcript(self, role: Role, text: str, final: bool) -> list[Message]:
        return []

    def error(self, message: str) -> list[Message]:
        return []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _field(event: dict[str, Any], section: str, name: str) -> Any:
    part = event.get(section)
    return part.get(name) if isinstance(part, dict) else None
