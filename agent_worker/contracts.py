"""Wire contracts shared by the control plane and the agent worker.

One definition of each message that crosses the process boundary: the agent
configuration (validated by the API, snapshotted into dispatch metadata), the
dispatch metadata itself, and the events a worker reports back.
This module must stay importable without livekit-agents installed.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

AGENT_NAME = "voxroom-agent"
"""The one agent name workers register under; the config travels in metadata."""

SttProvider = Literal["auto", "whisper", "openai", "deepgram"]
LlmProvider = Literal["auto", "kb_answerer", "local", "openai"]
TtsProvider = Literal["auto", "piper", "flite", "openai", "cartesia", "elevenlabs"]


class ConfigConflict(Exception):
    """Fields of a configuration that contradict each other, a rule JSON Schema cannot state.

    Deliberately not a ValueError: pydantic lets it through, so the control plane answers it
    as a 409 CONFLICT naming the field instead of a 422 for a body its schema allows.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@cache
def _integer_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if info.annotation is int or int in get_args(info.annotation)
    )


class Strict(BaseModel):
    """Base for wire models: unknown fields are an error, not silently dropped, and types are
    strict (`false` is not 0, `"5"` is not a number), as the API's OpenAPI document says.
    Strict mode on decoded JSON also wants `datetime` objects: such fields relax it."""

    model_config = ConfigDict(extra="forbid", strict=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers_are_integers(cls, data: Any) -> Any:
        """JSON Schema counts `600.0` as an integer, and clients may send it; strict pydantic
        alone would refuse it where the API's schema says `integer`."""
        if not isinstance(data, dict):
            return data
        return {
            key: int(value)
            if isinstance(value, float) and value.is_integer() and key in _integer_fields(cls)
            else value
            for key, value in data.items()
        }

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        """No text field (or list of texts) holds a NUL character: PostgreSQL cannot store
        one, and the API's document says so on every such field."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("must not contain a NUL character")
        return value


class SttConfig(Strict):
    """Speech-to-text: how the caller's speech becomes text."""

    provider: SttProvider = "auto"
    """`auto` picks Deepgram, then OpenAI, by the keys the worker has, else offline Whisper."""
    model: str | None = Field(default=None, max_length=100)
    """The provider's model name; null for its default (Whisper `base`, Deepgram `nova-3`,
    OpenAI `gpt-4o-mini-transcribe`)."""
    language: str | None = Field(default=None, max_length=16)
    """Language to transcribe (e.g. `en`, `de-DE`); null uses the agent's `language`."""


class LlmConfig(Strict):
    """The language model that writes the agent's replies."""

    provider: LlmProvider = "auto"
    """`openai` is any OpenAI-compatible server; `kb_answerer` answers offline from the
    instructions and knowledge bases without a model; `local` is a small packaged model (no
    tool calls). `auto` is `openai` when an endpoint or key is configured, else `kb_answerer`."""
    model: str | None = Field(default=None, max_length=100)
    """The model name for `openai`; null uses the worker's configured default."""
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    """Sampling temperature: lower is more predictable."""
    base_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://[^\x00]*$")
    """An OpenAI-compatible endpoint of this agent's own (Ollama, vLLM, ...); it never
    receives the platform's API key. Null uses the worker's endpoint."""


class TtsConfig(Strict):
    """Text-to-speech: the agent's voice."""

    provider: TtsProvider = "auto"
    """`auto` picks Cartesia, ElevenLabs, then OpenAI, by the keys the worker has, else the
    offline Piper (or Flite) voice."""
    voice: str | None = Field(default=None, max_length=100)
    """The provider's voice id or name; null for its default (OpenAI `alloy`, Flite `slt`)."""
    speed: float = Field(default=1.0, ge=0.5, le=2.0)
    """Speaking rate, 1.0 is normal (not used by ElevenLabs and Flite)."""


class TurnDetectionConfig(Strict):
    """When the caller has finished speaking and the agent may answer."""

    mode: Literal["model", "vad", "stt"] = "model"
    """`model`: a turn-detector model judges from the words whether the caller is done;
    `vad`: a pause in voice activity ends the turn; `stt`: the speech recognizer's end of
    utterance does."""
    min_endpointing_delay: float = Field(default=0.4, ge=0.0, le=10.0)
    """Seconds of silence before a turn may end."""
    max_endpointing_delay: float = Field(default=3.0, ge=0.0, le=30.0)
    """Seconds of silence after which a turn ends even if the caller seems unfinished; at
    least `min_endpointing_delay`."""

    @model_validator(mode="after")
    def _delays_ordered(self) -> TurnDetectionConfig:
        if self.max_endpointing_delay < self.min_endpointing_delay:
            raise ConfigConflict(
                "turn_detection.max_endpointing_delay",
                "max_endpointing_delay must be at least min_endpointing_delay",
            )
        return self


class InterruptionConfig(Strict):
    """Whether and when the caller's speech stops the agent mid-sentence (barge-in)."""

    enabled: bool = True
    """Whether the caller can interrupt the agent (the first message included)."""
    min_words: int = Field(default=0, ge=0, le=20)
    """Words the caller must say before the agent stops; 0 counts voice activity alone."""
    min_duration: float = Field(default=0.5, ge=0.0, le=10.0)
    """Seconds of caller speech before the agent stops."""


class SilenceConfig(Strict):
    """What the agent does when nobody speaks."""

    end_call_after_s: float | None = Field(default=None, ge=5.0, le=3600.0)
    """End the call after this many seconds in which neither side speaks (end reason
    `silence`); null never ends a call for silence."""


class PrivacyConfig(Strict):
    """Recording and retention of this agent's calls."""

    retention_days: int | None = Field(default=None, ge=1, le=3650)
    """Days to keep the calls' recordings and transcripts; null keeps them."""
    record_audio: bool = False
    """Record the audio of each call."""


BUILTIN_TOOLS = frozenset({"end_call", "search_knowledge_base", "press_keys", "transfer_call"})
"""Names the worker gives its own tools (livekit-agents refuses two functions of one name, so
a custom tool named so would break the agent's calls); the phone-only ones included, as a phone
line can turn them on for an agent."""


class ToolSpec(Strict):
    """A custom tool the LLM may call; `http` tools POST their arguments to `url`."""

    type: Literal["http"] = "http"
    """The only kind of custom tool so far."""
    name: str = Field(
        pattern=r"^[a-zA-Z_][a-zA-Z0-9_]{0,63}$",
        json_schema_extra={"not": {"enum": [*sorted(BUILTIN_TOOLS)]}},
    )
    """The function name the LLM calls; unique among the agent's tools, and none of the
    built-in tools' names (`BUILTIN_TOOLS`)."""
    description: str = Field(min_length=1, max_length=1000)
    """Tells the LLM what the tool does and when to call it."""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})
    """JSON Schema of the arguments the LLM passes."""
    url: str = Field(max_length=2000, pattern=r"^https?://[^\x00]*$")
    """Receives a POST of `{"tool", "arguments", "session_id", "agent_id"}`; the text of the
    reply (first 4,000 characters) goes back to the LLM, an error status tells it the tool
    failed."""

    @field_validator("name")
    @classmethod
    def _not_builtin(cls, name: str) -> str:
        if name in BUILTIN_TOOLS:
            raise ValueError(f"{name} is the name of a built-in tool")
        return name


TRANSFER_TARGET = r"^(tel:\+[1-9][0-9]{1,14}|sips?:[A-Za-z0-9+._~;=%@:\-]{3,200})$"
"""Where a phone call can be transferred: `tel:+<E.164>` or a `sip:`/`sips:` URI."""
TRANSFER_TOOL = "transfer_call"


class TransferTarget(Strict):
    """A person or team the agent may hand a phone call to (cold: SIP REFER; or warm)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    """What the agent calls it (`sales`, `front_desk`); unique among the targets."""
    to: str = Field(max_length=210, pattern=TRANSFER_TARGET)
    """`tel:+<E.164>` (checked against the project's dialling policy when the call is
    transferred) or a `sip:` URI."""
    description: str = Field(default="", max_length=300)
    """When to transfer there, for the agent (e.g. "questions about orders and prices")."""
    mode: Literal["cold", "warm"] = "cold"
    """cold: the phone is referred to `to`. warm (`tel:` targets only; a `sip:` one fails at
    the transfer): the caller waits on hold while the agent dials the person through the
    outbound trunk and briefs them, then caller and person are connected and the agent
    leaves."""
    trunk_id: str | None = Field(default=None, max_length=40, pattern=r"^trk_[0-9a-f]+$")
    """Warm only: the project's trunk (`trk_...`) the person is dialled through. By default,
    the trunk the call was dialled out through, else the one of the phone line it came in on
    (when that trunk places calls), else the project's only outbound trunk."""


class VoicemailConfig(Strict):
    """Answering-machine detection on the agent's outbound calls."""

    detect: bool = False
    """Listen to who answers before speaking: a person gets `first_message`, an answering
    machine gets `action`. A dial with `voicemail` turns it on for that call."""
    action: Literal["hang_up", "leave_message"] = "hang_up"
    """What to do when a machine answers: hang up, or wait for its greeting to end and leave
    `message`, then hang up."""
    message: str = Field(
        default="Hello, sorry we missed you. Please call us back when you can. Goodbye.",
        min_length=1,
        max_length=1000,
    )
    """The message left on an answering machine."""


class PhoneConfig(Strict):
    """How the agent behaves on phone calls (SIP)."""

    transfer_targets: list[TransferTarget] = Field(default_factory=list, max_length=10)
    """With any, the agent gets a `transfer_call` tool on phone calls and hands the caller to
    the target it names (after saying `transfer_message`)."""
    transfer_message: str = Field(
        default="Please hold while I transfer your call.", min_length=1, max_length=300
    )
    """What the agent says before the transfer."""
    dtmf: bool = True
    """Keypad: the agent hears the keys the caller presses and gets a `press_keys` tool. A
    phone line with `dtmf_enabled: false` turns it off for its calls."""
    voicemail: VoicemailConfig = Field(default_factory=VoicemailConfig)
    """Answering-machine detection on outbound calls (never on calls that come in)."""

    @model_validator(mode="after")
    def _target_names_unique(self) -> PhoneConfig:
        names = [target.name for target in self.transfer_targets]
        if len(names) != len(set(names)):
            raise ConfigConflict("phone.transfer_targets", "transfer target names must be unique")
        return self


class AgentSpec(Strict):
    """Everything that defines how an agent behaves in a conversation."""

    name: str = Field(min_length=1, max_length=100)
    """A name for people; shown on the agent's sessions."""
    instructions: str = Field(default="You are a helpful voice assistant.", max_length=20_000)
    """The system prompt: who the agent is, what it knows, how it speaks."""
    first_message: str | None = Field(default=None, max_length=2000)
    """What the agent says as soon as the caller joins; null waits for the caller."""
    language: str = Field(default="en", min_length=2, max_length=16)
    """Language of the conversation (e.g. `en`, `de-DE`), heard by the speech recognizer
    unless `stt.language` says otherwise."""
    stt: SttConfig = Field(default_factory=SttConfig)
    """Speech-to-text."""
    llm: LlmConfig = Field(default_factory=LlmConfig)
    """The language model."""
    tts: TtsConfig = Field(default_factory=TtsConfig)
    """Text-to-speech."""
    turn_detection: TurnDetectionConfig = Field(default_factory=TurnDetectionConfig)
    """When the caller's turn ends."""
    interruptions: InterruptionConfig = Field(default_factory=InterruptionConfig)
    """When the caller may interrupt the agent."""
    silence: SilenceConfig = Field(default_factory=SilenceConfig)
    """What happens when nobody speaks."""
    max_duration_s: int = Field(default=1800, ge=10, le=3600)
    """Seconds after which the call ends (end reason `max_duration`, status `timeout`)."""
    knowledge_base_ids: list[str] = Field(default_factory=list, max_length=20)
    """Knowledge bases (`kb_...`) of this project the agent searches for answers; with any,
    the LLM gets a `search_knowledge_base` tool."""
    tools: list[ToolSpec] = Field(default_factory=list, max_length=32)
    """Custom HTTP tools the LLM may call, besides the built-in `end_call`."""
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    """Recording and retention."""
    phone: PhoneConfig = Field(default_factory=PhoneConfig)
    """Phone calls: transfer targets, keypad."""

    @model_validator(mode="after")
    def _tool_names_unique(self) -> AgentSpec:
        names = [tool.name for tool in self.tools]
        if len(names) != len(set(names)):
            raise ConfigConflict("tools", "tool names must be unique")
        return self


class DispatchMetadata(Strict):
    """JSON put in the LiveKit agent dispatch; the worker's only source of config."""

    version: Literal[1] = 1
    session_id: str
    project_id: str
    agent_id: str
    room: str
    agent: AgentSpec
    report_url: str
    """Base URL of the control plane's internal API, e.g. http://127.0.0.1:8000/internal/v1."""
    report_token: str
    """Bearer token that authorizes reports for this one session only."""
    resume: bool = False
    """The agent that served this session is gone (its worker died) and this dispatch takes
    over the same session: load the transcript so far and tell the caller it is back instead
    of greeting."""


class TurnLatency(Strict):
    """How long each stage of an agent turn took, in milliseconds (null: not measured)."""

    end_of_turn_ms: float | None = None
    """From the caller falling silent to the decision that their turn is over."""
    stt_ms: float | None = None
    """From the caller falling silent to the final transcript of their words."""
    llm_first_token_ms: float | None = None
    """From the request to the LLM to its first token."""
    tts_first_audio_ms: float | None = None
    """From the request to text-to-speech to its first audio."""


class TurnEvent(Strict):
    """One finished turn of the conversation: a transcript line."""

    type: Literal["turn"] = "turn"
    """Event kind."""
    event_id: str = Field(min_length=1, max_length=100)
    """Unique per event: a retried report applies it once."""
    role: Literal["user", "agent", "system", "supervisor"]
    """Who spoke (`supervisor`: a human who took the call over)."""
    text: str = Field(max_length=50_000)
    """What was said."""
    started_at: datetime = Field(strict=False)
    """When the speaker started (ISO 8601)."""
    ended_at: datetime | None = Field(default=None, strict=False)
    """When the speaker stopped; null if unknown."""
    interrupted: bool = False
    """Whether the caller cut the agent off."""
    latency: TurnLatency | None = None
    """Stage latencies of the turn, where measured."""


class UsageEvent(Strict):
    """Usage since the previous report; the session adds it up."""

    type: Literal["usage"] = "usage"
    """Event kind."""
    event_id: str = Field(min_length=1, max_length=100)
    """Unique per event: a retried report applies it once."""
    stt_audio_seconds: float = Field(default=0.0, ge=0)
    """Seconds of audio sent to speech-to-text."""
    llm_prompt_tokens: int = Field(default=0, ge=0)
    """LLM input tokens."""
    llm_completion_tokens: int = Field(default=0, ge=0)
    """LLM output tokens."""
    tts_characters: int = Field(default=0, ge=0)
    """Characters sent to text-to-speech."""


class SessionStartedEvent(Strict):
    """The caller joined and the agent starts the conversation."""

    type: Literal["session_started"] = "session_started"
    """Event kind."""
    event_id: str = Field(min_length=1, max_length=100)
    """Unique per event: a retried report applies it once."""
    caller_identity: str | None = Field(default=None, max_length=256)
    """The LiveKit identity of the participant the agent talks to, when known."""


class SessionEndedEvent(Strict):
    """The conversation is over; the session closes with a status that follows `reason`."""

    type: Literal["session_ended"] = "session_ended"
    """Event kind."""
    event_id: str = Field(min_length=1, max_length=100)
    """Unique per event: a retried report applies it once."""
    reason: Literal["manual", "max_duration", "silence", "participant_left", "agent_error"]
    """Why it ended: `max_duration` closes it as `timeout`, `agent_error` as `failed`, the
    others as `completed`."""
    error: str | None = Field(default=None, max_length=1000)
    """What went wrong, for `agent_error`."""


class ToolEvent(Strict):
    """A tool call the agent's LLM made during the conversation, and how it went."""

    type: Literal["tool"] = "tool"
    """Event kind."""
    event_id: str = Field(min_length=1, max_length=100)
    """Unique per event: a retried report applies it once."""
    name: str = Field(min_length=1, max_length=100)
    """The tool's name as the LLM sees it."""
    call_id: str = Field(default="", max_length=200)
    """The LLM's id for this call."""
    arguments: str = Field(default="", max_length=4000)
    """The arguments as the LLM wrote them (JSON text, cut to 4000 characters)."""
    is_error: bool = False
    """Whether the tool failed (its error is what the LLM was told)."""
    output: str = Field(default="", max_length=4000)
    """What the tool answered (cut to 4000 characters)."""


WorkerEvent = Annotated[
    TurnEvent | UsageEvent | SessionStartedEvent | SessionEndedEvent | ToolEvent,
    Field(discriminator="type"),
]


class WorkerReport(Strict):
    """Body of POST {report_url}/sessions/{session_id}/events."""

    events: list[WorkerEvent] = Field(min_length=1, max_length=100)
    """Events in the order they happened, each told apart by its `type`."""


class TranscriptSoFarLine(Strict):
    """One line of a session's transcript, as a resuming agent loads it."""

    role: Literal["user", "agent", "system", "supervisor"]
    text: str


class TranscriptSoFar(Strict):
    """Body of GET {report_url}/sessions/{session_id}/transcript: the conversation so far."""

    lines: list[TranscriptSoFarLine]


LEASE_INTERVAL_S = 1.0
"""How often a running session renews its lease (POST {report_url}/sessions/{id}/lease)."""
LEASE_TTL_S = 4.0
"""A session whose lease is this old has lost its agent (its worker died)."""


RecordingFormat = Literal["ogg", "wav", "mp4"]
ChannelLayout = Literal["mixed", "per_participant"]
"""A room recording's channels: everybody on one, or each participant on a channel of its own
(in the order they first sent audio)."""
MAX_PARTICIPANT_CHANNELS = 4
"""Channels of a per-participant room recording; later participants share the last one
(Ogg/Opus and MP4/AAC keep up to four channels apart and in order, with no LFE channel)."""

RECORDER_IDENTITY_PREFIX = "vxrec-"
"""Identity of a room recorder participant: this prefix, then its recording's id. The control
plane stops a recording by removing that participant, and tells recorders from agents by it."""


class RecorderDispatch(Strict):
    """JSON put in the agent dispatch of a room recorder (the worker's `kind` switch: an agent
    dispatch carries `DispatchMetadata`, which has no `kind`)."""

    kind: Literal["recorder"] = "recorder"
    recording_id: str
    project_id: str
    room: str
    format: RecordingFormat = "ogg"
    layout: ChannelLayout = "mixed"
    report_url: str
    """Base URL of the control plane's internal API."""
    report_token: str
    """Bearer token that authorizes uploads for this one recording only."""


class RecordingOpen(Strict):
    """Body of POST {report_url}/sessions/{session_id}/recordings: a call's recording starts."""

    id: str = Field(pattern=r"^rec_[0-9a-f]{20}$")
    """Chosen by the worker, so that a retried open opens the same recording."""
    format: RecordingFormat = "ogg"
    """The file's format."""
    channels: int = Field(default=2, ge=1, le=32)
    """Audio channels: 2 for a call (caller left, agent right)."""


class RecordingOpened(Strict):
    """Answer to RecordingOpen: the id every upload request names."""

    id: str


class RecordingUploadState(Strict):
    """How much of a recording's file the control plane holds (a resumed upload starts there)."""

    id: str
    received_bytes: int
    status: str


class RecordingComplete(Strict):
    """Body of POST {report_url}/recordings/{id}/complete, after the last chunk."""

    size_bytes: int = Field(ge=0)
    """The whole file's size: must equal the bytes received."""
    duration_s: float = Field(ge=0)
    """Seconds of audio."""
    channels: int | None = Field(default=None, ge=1, le=32)
    """Channels in the file, when the recorder decided them only at the end."""
    channel_identities: list[Annotated[str, Field(max_length=256)]] | None = Field(
        default=None, max_length=MAX_PARTICIPANT_CHANNELS
    )
    """A per-participant room recording: the participant on each channel, in order."""


class RecordingFailed(Strict):
    """Body of POST {report_url}/recordings/{id}/fail: nothing (more) will be uploaded."""

    error: str = Field(max_length=1000)


RECORDING_CHUNK_BYTES = 512 * 1024
"""Bytes per upload request (PUT {report_url}/recordings/{id}/content with Content-Range)."""
