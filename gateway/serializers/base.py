"""The one interface every carrier's wire format implements.

A serializer turns a client's WebSocket messages into `Inbound` events and the call's events
(agent audio, transcripts, utterance ends, barge-ins) into the client's messages. It knows
nothing of LiveKit or the control plane, and the bridge knows nothing of wire formats
(pipecat's transport/serializer split).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from gateway.contracts import GatewayCall

Message = str | bytes
"""A WebSocket message: text or binary."""
Role = Literal["user", "agent"]


class ProtocolError(Exception):
    """The client broke its protocol: the connection closes with `close_code`."""

    def __init__(self, message: str, close_code: int = 1003) -> None:
        super().__init__(message)
        self.message = message
        self.close_code = close_code


@dataclass(frozen=True)
class Audio:
    """Caller audio: PCM16 mono at the serializer's sample rate."""

    pcm: bytes


@dataclass(frozen=True)
class Start:
    """The carrier named the call (Twilio's `start`)."""

    ticket: str | None
    call_sid: str | None = None
    stream_sid: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Hangup:
    """The carrier ended the stream (Twilio's `stop`)."""


Inbound = Audio | Start | Dtmf | Hangup


class Serializer(ABC):
    sample_rate: int
    """Sample rate of the PCM16 the serializer takes and gives."""
    waits_for_start: bool = False
    """True when the call is named in-band (a `Start` event) rather than by the URL."""

    @abstractmethod
    def decode(self, message: Message) -> Inbound | None:
        """One client message as an event; None for messages that need no action."""

    @abstractmethod
    def connected(self, call: GatewayCall) -> list[Message]:
        """Messages once the call is bridged."""

    @abstractmethod
    def agent_audio(self, pcm: bytes) -> list[Message]:
        """Agent audio (PCM16 mono at `sample_rate`); may buffer and send later."""

    @abstractmethod
    def utterance_end(self) -> list[Message]:
        """The agent finished an utterance: what is buffered, then the end marker."""

    @abstractmethod
    def barge_in(self) -> list[Message]:
        """The caller interrupted the agent: buffered audio is dropped, playback stops."""

    @abstractmethod
    def transcript(self, role: Role, text: str, final: bool) -> list[Message]: ...

    @abstractmethod
    def error(self, message: str) -> list[Message]: ...
