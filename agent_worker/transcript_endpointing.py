"""How long a turn waits for more speech, chosen from the words of the caller's transcript.

The local turn detector (`TurnDetector(version="v1-mini")`) judges from the last 1.2 s of
audio alone. On flat synthetic voices it judges some finished questions unfinished ("What are
your opening hours?" every time), and the session then waits the agent's whole
`max_endpointing_delay` (3 s) after a transcript that was ready in 0.8 s. The transcript says
what the audio cannot: Whisper ends a finished sentence with "?", "." or "!", and a fragment
with "..." or a comma, or on a word no English sentence ends on ("for", "the", "and", "um").

So each final transcript sets the session's endpointing delays for the decision it triggers:

- words finished: the audio model still chooses between the agent's minimum delay and a
  maximum shortened to `FINISHED_MAX_DELAY_S`, so a flat "unlikely" costs a short wait;
- words unfinished: the minimum becomes the agent's maximum, so even a turn the audio model
  calls over waits for the caller to go on;
- no sign either way (no final punctuation): the agent's own delays, as before.

Only English has a word list; agents in other languages keep their own delays, and so do
agents whose turn detection is not the model.

Ordering this relies on (livekit-agents 1.8.9, `voice/audio_recognition.py`,
`_process_stt_event`): the final transcript is emitted as `user_input_transcribed`
(synchronously) before `_run_eou_detection(trigger="stt")` starts the end-of-turn task, which
reads `min_delay` when it starts and `max_delay` after the turn detector's prediction. Both are
set through the public `AgentSession.update_options`.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livekit.agents import AgentSession, EndpointingOptions, UserInputTranscribedEvent

    from .contracts import AgentSpec, TurnDetectionConfig

FINISHED_MAX_DELAY_S = 1.2
"""Longest wait, counted from the end of speech, after finished words that the turn detector
calls unfinished: a caller who pauses up to about a second after words that read finished
still goes on in the same turn. The transcript arrives ~0.8 s after the speech ends (Whisper
base on 2 cores) and the answer's speech is rendered during the wait (`preemptive_tts`), so
the answer is heard ~1.3 s after the caller stopped."""

NEVER_LAST = frozenset(
    {
        *("a", "an", "the", "my", "your", "our", "their"),  # articles and possessives
        *("and", "or", "but", "because", "if", "whether", "than"),  # conjunctions
        *("to", "for", "with", "about", "of", "from", "at", "into", "on"),  # prepositions
        *("um", "uh", "uhm", "er", "erm"),  # hesitations
    }
)
"""Words a caller's sentence does not end on, whatever Whisper put after them: it writes a full
stop or a question mark on fragments ("Is it possible to?", "arrive on.") and nothing at all on
some ("I'd like to speak with someone about"). A question that does end on a preposition ("Who
should I talk to?", "Hold on.") then waits the agent's maximum: the cheaper mistake than cutting
a caller off."""

_TRAILING = re.compile(r"(\.\.\.|\u2026|[,;:\-\u2013\u2014])$")  # ..., an ellipsis, a comma, a dash
_LAST_WORD = re.compile(r"([A-Za-z']+)\W*$")


class Words(Enum):
    FINISHED = "finished"
    UNFINISHED = "unfinished"
    UNKNOWN = "unknown"


def judge_words(transcript: str) -> Words:
    """Whether an English transcript reads as a finished sentence."""
    text = transcript.strip()
    if not text:
        return Words.UNKNOWN
    match = _LAST_WORD.search(text)
    if _TRAILING.search(text) or (match is not None and match.group(1).lower() in NEVER_LAST):
        return Words.UNFINISHED
    if text[-1] not in "?.!":
        return Words.UNKNOWN
    return Words.FINISHED


def endpointing_for(words: Words, config: TurnDetectionConfig) -> EndpointingOptions:
    """The delays of the end-of-turn decision that follows a transcript judged `words`."""
    low, high = config.min_endpointing_delay, config.max_endpointing_delay
    if words is Words.FINISHED:
        return {"min_delay": low, "max_delay": min(high, max(low, FINISHED_MAX_DELAY_S))}
    if words is Words.UNFINISHED:
        return {"min_delay": high, "max_delay": high}
    return {"min_delay": low, "max_delay": high}


def applies_to(spec: AgentSpec) -> bool:
    """Agents whose turns the turn-detector model ends, in English."""
    language = (spec.stt.language or spec.language).lower()
    return spec.turn_detection.mode == "model" and language.split("-")[0] == "en"


class TranscriptEndpointing:
    """Sets the session's endpointing delays from each final transcript (see the module)."""

    def __init__(self, session: AgentSession, config: TurnDetectionConfig) -> None:
        self._session = session
        self._config = config
        self._current: EndpointingOptions = endpointing_for(Words.UNKNOWN, config)

    def attach(self) -> None:
        self._session.on("user_input_transcribed", self._on_transcribed)

    def _on_transcribed(self, event: UserInputTranscribedEvent) -> None:
        if not event.is_final:
            return
        wanted = endpointing_for(judge_words(event.transcript), self._config)
        if wanted != self._current:
            self._session.update_options(endpointing_opts=wanted)
            self._current = wanted
