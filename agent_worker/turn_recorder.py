"""Turns each finished conversation item, tool call and the usage counters into report
events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from livekit.agents.llm import ChatMessage
from livekit.agents.metrics import LLMModelUsage, STTModelUsage, TTSModelUsage

from .contracts import ToolEvent, TurnEvent, TurnLatency, UsageEvent
from .reporter import new_event_id
from .supervision import SPEAKER_EXTRA, SUPERVISOR_SAID_PREFIX

if TYPE_CHECKING:
    from livekit.agents import (
        AgentSession,
        ConversationItemAddedEvent,
        FunctionToolsExecutedEvent,
    )
    from livekit.agents.llm.chat_context import MetricsReport

    from .reporter import SessionReporter


def _ms(seconds: float | None) -> float | None:
    return round(seconds * 1000.0, 1) if seconds is not None else None


def _at(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch is not None else None


@dataclass
class UsageTotals:
    stt_audio_seconds: float = 0.0
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0
    tts_characters: int = 0

    @classmethod
    def of(cls, session: AgentSession) -> UsageTotals:
        totals = cls()
        for usage in session.usage.model_usage:
            if isinstance(usage, STTModelUsage):
                totals.stt_audio_seconds += usage.audio_duration
            elif isinstance(usage, LLMModelUsage):
                totals.llm_prompt_tokens += usage.input_tokens
                totals.llm_completion_tokens += usage.output_tokens
            elif isinstance(usage, TTSModelUsage):
                totals.tts_characters += usage.characters_count
        return totals

    def minus(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            stt_audio_seconds=max(0.0, self.stt_audio_seconds - other.stt_audio_seconds),
            llm_prompt_tokens=max(0, self.llm_prompt_tokens - other.llm_prompt_tokens),
            llm_completion_tokens=max(0, self.llm_completion_tokens - other.llm_completion_tokens),
            tts_characters=max(0, self.tts_characters - other.tts_characters),
        )

    def is_zero(self) -> bool:
        return not (
            self.stt_audio_seconds
            or self.llm_prompt_tokens
            or self.llm_completion_tokens
            or self.tts_characters
        )


class TurnRecorder:
    """Reports each user and agent turn as it completes, and usage as increments.

    A `UsageEvent` carries what was used since the previous one, so the control plane adds
    them up; each has its own `event_id`, so retries never double count.
    """

    def __init__(self, session: AgentSession, reporter: SessionReporter) -> None:
        self._session = session
        self._reporter = reporter
        self._reported_usage = UsageTotals()
        self._last_user_latency: TurnLatency | None = None
        session.on("conversation_item_added", self._on_item_added)
        session.on("function_tools_executed", self._on_tools_executed)

    def _on_tools_executed(self, event: FunctionToolsExecutedEvent) -> None:
        for call, output in zip(event.function_calls, event.function_call_outputs, strict=False):
            self._reporter.submit(
                ToolEvent(
                    event_id=new_event_id(),
                    name=call.name[:100],
                    call_id=call.call_id[:200],
                    arguments=call.arguments[:4000],
                    is_error=bool(output is not None and output.is_error),
                    output=(output.output if output is not None else "")[:4000],
                )
            )

    def _on_item_added(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if not isinstance(item, ChatMessage):
            return
        if item.role == "system" and item.extra.get(SPEAKER_EXTRA) == "supervisor":
            self._report_supervisor(item)
            return
        if item.role not in ("user", "assistant"):
            return
        text = item.text_content or ""
        if not text.strip():
            return
        metrics = item.metrics
        role: Literal["user", "agent"] = "user" if item.role == "user" else "agent"
        if role == "user":
            latency = TurnLatency(
                end_of_turn_ms=_ms(metrics.get("end_of_turn_delay")),
                stt_ms=_ms(metrics.get("transcription_delay")),
            )
            self._last_user_latency = latency
        else:
            latency = self._agent_latency(metrics)
            self._last_user_latency = None
        turn = TurnEvent(
            event_id=new_event_id(),
            role=role,
            text=text,
            started_at=_at(metrics.get("started_speaking_at")) or _at(item.created_at),
            ended_at=_at(metrics.get("stopped_speaking_at")),
            interrupted=item.interrupted,
            latency=latency,
        )
        self._reporter.submit(turn)
        if role == "agent":
            self.flush_usage()

    def _report_supervisor(self, item: ChatMessage) -> None:
        """A supervisor's words during a takeover (`supervision.supervisor_message`)."""
        text = (item.text_content or "").removeprefix(SUPERVISOR_SAID_PREFIX)
        self._reporter.submit(
            TurnEvent(
                event_id=new_event_id(),
                role="supervisor",
                text=text,
                started_at=_at(item.metrics.get("started_speaking_at")) or _at(item.created_at),
                ended_at=_at(item.metrics.get("stopped_speaking_at")),
            )
        )

    def _agent_latency(self, metrics: MetricsReport) -> TurnLatency:
        user = self._last_user_latency or TurnLatency()
        return TurnLatency(
            end_of_turn_ms=user.end_of_turn_ms,
            stt_ms=user.stt_ms,
            llm_first_token_ms=_ms(metrics.get("llm_node_ttft")),
            tts_first_audio_ms=_ms(metrics.get("tts_node_ttfb")),
        )

    def flush_usage(self) -> None:
        """Report the usage accumulated since the last report, if any."""
        totals = UsageTotals.of(self._session)
        delta = totals.minus(self._reported_usage)
        if delta.is_zero():
            return
        self._reported_usage = totals
        self._reporter.submit(
            UsageEvent(
                event_id=new_event_id(),
                stt_audio_seconds=round(delta.stt_audio_seconds, 3),
                llm_prompt_tokens=delta.llm_prompt_tokens,
                llm_completion_tokens=delta.llm_completion_tokens,
                tts_characters=delta.tts_characters,
            )
        )
