"""The end-of-turn wait chosen from the words of each final transcript.

The last test drives a real `AgentSession` with a scripted streaming STT: it fails if a
livekit-agents upgrade reads the endpointing delays before the final transcript is emitted
(the wait would then be the one of the previous transcript)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from livekit import rtc
from livekit.agents import (
    DEFAULT_API_CONNECT_OPTIONS,
    Agent,
    AgentSession,
    APIConnectOptions,
    ConversationItemAddedEvent,
    LanguageCode,
    UserInputTranscribedEvent,
    llm,
    stt,
)
from livekit.agents.voice import io

from agent_worker.contracts import AgentSpec, TurnDetectionConfig
from agent_worker.kb_answerer import KbAnswerer
from agent_worker.transcript_endpointing import (
    FINISHED_MAX_DELAY_S,
    TranscriptEndpointing,
    Words,
    applies_to,
    endpointing_for,
    judge_words,
)

pytestmark = pytest.mark.unit

DEFAULTS = TurnDetectionConfig()


@pytest.mark.parametrize(
    "transcript",
    [
        "What are your opening hours?",
        "I would like to cancel my order.",
        "Thanks!",
        "My account number is 472.",
        "Yes.",
    ],
)
def test_a_sentence_ending_on_its_punctuation_reads_finished(transcript: str) -> None:
    assert judge_words(transcript) is Words.FINISHED


@pytest.mark.parametrize(
    "transcript",
    [
        "I'd like to book a table for...",
        "I'd like to book a table for…",
        "So, basically,",
        "I need to change my appointment to.",  # Whisper puts a full stop on fragments
        "Can I pay with the?",
        "My daughter has a fever and.",
        "Um.",
        "I was wondering if.",
        "Is it possible to?",  # Whisper's question mark on a fragment
        "The package was supposed to arrive on.",
        "I'd like to speak with someone about",  # no punctuation at all
        "Who should I talk to?",  # a real question, waiting longer: the cheaper mistake
    ],
)
def test_a_trailing_or_dangling_sentence_reads_unfinished(transcript: str) -> None:
    assert judge_words(transcript) is Words.UNFINISHED


@pytest.mark.parametrize("transcript", ["", "  ", "what are your opening hours", "okay so"])
def test_without_final_punctuation_the_words_say_nothing(transcript: str) -> None:
    assert judge_words(transcript) is Words.UNKNOWN


def test_finished_words_shorten_only_the_longest_wait() -> None:
    delays = endpointing_for(Words.FINISHED, DEFAULTS)
    assert delays == {
        "min_delay": DEFAULTS.min_endpointing_delay,
        "max_delay": FINISHED_MAX_DELAY_S,
    }


def test_finished_words_never_wait_less_than_the_agents_minimum_nor_more_than_its_maximum() -> None:
    patient = TurnDetectionConfig(min_endpointing_delay=2.0, max_endpointing_delay=5.0)
    assert endpointing_for(Words.FINISHED, patient) == {"min_delay": 2.0, "max_delay": 2.0}
    hasty = TurnDetectionConfig(min_endpointing_delay=0.2, max_endpointing_delay=0.6)
    assert endpointing_for(Words.FINISHED, hasty) == {"min_delay": 0.2, "max_delay": 0.6}


def test_unfinished_words_wait_the_agents_maximum_whatever_the_audio_model_says() -> None:
    delays = endpointing_for(Words.UNFINISHED, DEFAULTS)
    assert delays["min_delay"] == delays["max_delay"] == DEFAULTS.max_endpointing_delay


def test_words_that_say_nothing_keep_the_agents_own_delays() -> None:
    assert endpointing_for(Words.UNKNOWN, DEFAULTS) == {
        "min_delay": DEFAULTS.min_endpointing_delay,
        "max_delay": DEFAULTS.max_endpointing_delay,
    }


@pytest.mark.parametrize(
    ("language", "stt_language", "mode", "applies"),
    [
        ("en", None, "model", True),
        ("en-GB", None, "model", True),
        ("de", None, "model", False),
        ("de", "en-US", "model", True),
        ("en", None, "vad", False),
        ("en", None, "stt", False),
    ],
)
def test_only_english_agents_ended_by_the_turn_detector_model_use_the_words(
    language: str, stt_language: str | None, mode: str, applies: bool
) -> None:
    spec = AgentSpec.model_validate(
        {
            "name": "a",
            "language": language,
            "stt": {"language": stt_language},
            "turn_detection": {"mode": mode},
        }
    )
    assert applies_to(spec) is applies


async def test_each_final_transcript_sets_the_delays_of_a_real_session() -> None:
    async with AgentSession(llm=KbAnswerer(instructions="We sell shoes.")) as session:
        await session.start(Agent(instructions="We sell shoes."))
        TranscriptEndpointing(session, DEFAULTS).attach()

        def transcribed(text: str, *, is_final: bool = True) -> None:
            session.emit(
                "user_input_transcribed",
                UserInputTranscribedEvent(transcript=text, is_final=is_final),
            )

        transcribed("Do you have running shoes?")
        assert session.options.endpointing["max_delay"] == FINISHED_MAX_DELAY_S
        transcribed("I'm looking for", is_final=False)  # interim transcripts change nothing
        assert session.options.endpointing["max_delay"] == FINISHED_MAX_DELAY_S
        transcribed("I'm looking for...")
        assert session.options.endpointing["min_delay"] == DEFAULTS.max_endpointing_delay
        transcribed("okay")
        assert session.options.endpointing["min_delay"] == DEFAULTS.min_endpointing_delay
        assert session.options.endpointing["max_delay"] == DEFAULTS.max_endpointing_delay


class Silence(io.AudioInput):
    """A caller's microphone that only ever hears silence (the STT is scripted)."""

    def __init__(self) -> None:
        super().__init__(label="silence")

    async def __anext__(self) -> rtc.AudioFrame:
        await asyncio.sleep(0.01)
        return rtc.AudioFrame(bytes(320), 16_000, 1, 160)


class ScriptedSTT(stt.STT):
    """A streaming STT whose final transcripts are the texts put in `finals`."""

    def __init__(self) -> None:
        super().__init__(capabilities=stt.STTCapabilities(streaming=True, interim_results=False))
        self.finals: asyncio.Queue[str] = asyncio.Queue()

    async def _recognize_impl(self, *_: Any, **__: Any) -> stt.SpeechEvent:
        raise NotImplementedError

    def stream(
        self, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS, **_: Any
    ) -> stt.RecognizeStream:
        return _ScriptedStream(stt=self, conn_options=conn_options, finals=self.finals)


class _ScriptedStream(stt.RecognizeStream):
    def __init__(self, *, finals: asyncio.Queue[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._finals = finals

    async def _run(self) -> None:
        async def drain() -> None:
            async for _ in self._input_ch:
                pass

        draining = asyncio.create_task(drain())
        try:
            while True:
                text = await self._finals.get()
                alternative = stt.SpeechData(language=LanguageCode("en"), text=text)
                self._event_ch.send_nowait(
                    stt.SpeechEvent(
                        type=stt.SpeechEventType.FINAL_TRANSCRIPT, alternatives=[alternative]
                    )
                )
        finally:
            draining.cancel()
            await asyncio.gather(draining, return_exceptions=True)


async def test_the_words_of_a_final_transcript_set_the_wait_of_its_own_turn() -> None:
    # without a VAD or turn detector a turn ends `min_delay` after its final transcript
    config = TurnDetectionConfig(min_endpointing_delay=0.05, max_endpointing_delay=1.0)
    recognizer = ScriptedSTT()
    committed: list[float] = []

    def on_item(event: ConversationItemAddedEvent) -> None:
        if isinstance(event.item, llm.ChatMessage) and event.item.role == "user":
            committed.append(time.monotonic())

    async def wait_of(transcript: str) -> float:
        before = len(committed)
        said = time.monotonic()
        recognizer.finals.put_nowait(transcript)
        for _ in range(100):
            if len(committed) > before:
                break
            await asyncio.sleep(0.05)
        return committed[before] - said

    async with AgentSession(
        stt=recognizer,
        llm=KbAnswerer(instructions="We sell shoes."),
        turn_handling={"endpointing": {"min_delay": 0.05, "max_delay": 1.0}},
    ) as session:
        session.input.audio = Silence()
        await session.start(Agent(instructions="We sell shoes."))
        TranscriptEndpointing(session, config).attach()
        session.on("conversation_item_added", on_item)
        assert await wait_of("Do you have running shoes?") < 0.9
        assert await wait_of("I'd like a pair for...") >= 0.95
