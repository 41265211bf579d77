"""The turn-taking sets: finished utterances and utterances with a pause in mid-sentence,
spoken at run time by flite and espeak-ng voices (no audio kept in the repository).

`HELD_OUT` measures; `DEV` is what the transcript rules of
`agent_worker.transcript_endpointing` were looked at against. Neither shares wording with
`bench.voice_latency`'s questions.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.media import read_wav, resample

RATE = 16_000
VOICES = ("flite:slt", "flite:kal16", "flite:rms", "flite:awb", "espeak:en-us", "espeak:en-gb")
PAUSES_S = (0.8, 1.2, 1.6, 2.0)
_SILENT_RMS = 100.0
"""int16 RMS over 10 ms below which a frame of synthetic speech is silence."""


@dataclass(frozen=True)
class Item:
    """`rest` is None for a finished utterance; otherwise `first`, a pause, then `rest`."""

    first: str
    rest: str | None = None


HELD_OUT: list[Item] = [
    Item("What time does the pharmacy close tonight?"),
    Item("Can I bring my dog to the hotel?"),
    Item("I would like to cancel my order."),
    Item("How long does shipping to Canada take?"),
    Item("My internet has been down since yesterday."),
    Item("Do you accept credit cards?"),
    Item("Is there parking near the station?"),
    Item("Please send the invoice to my email."),
    Item("When is the next train to Boston?"),
    Item("I need a table for four at eight."),
    Item("Which platform does the express leave from?"),
    Item("Thanks, that is all I needed."),
    Item("Could you repeat the address, please?"),
    Item("My package never arrived."),
    Item("Are you open on public holidays?"),
    Item("I want to speak to a manager."),
    Item("I need to change my appointment to", "next Thursday afternoon."),
    Item("Could you tell me whether", "the pharmacy is open on Sunday?"),
    Item("My account number is four seven two", "nine one five."),
    Item("I was wondering if you could", "send me the invoice again."),
    Item("The package was supposed to arrive on", "Monday but it never came."),
    Item("Can I pay with", "a credit card over the phone?"),
    Item("We are a group of", "six people arriving around eight."),
    Item("I'd like to speak with someone about", "a refund for my last order."),
    Item("Is it possible to", "cancel the subscription online?"),
    Item("My daughter has a fever and", "I want to know if she can come in today."),
    Item("How much does it cost to", "ship a parcel to Canada?"),
    Item("I think the problem is that", "the heater keeps switching off at night."),
    Item("Do you have any rooms available for", "the second week of March?"),
    Item("Um, so basically", "my internet has been down since yesterday."),
    Item("I ordered the blue jacket in size", "medium, not large."),
    Item("What I really want to know is", "when the train to Boston leaves."),
]

DEV: list[Item] = [
    Item("Where can I pick up my prescription?"),
    Item("How do I reset my password?"),
    Item("The printer on the third floor is broken."),
    Item("Is breakfast included in the price?"),
    Item("I lost my library card."),
    Item("Can someone call me back this afternoon?"),
    Item("What is the weather like in Denver?"),
    Item("I'm calling about the job posting."),
    Item("I'd like to order a large pizza with", "mushrooms and olives."),
    Item("Could you check if", "my payment went through?"),
    Item("The flight number is", "B A two one nine."),
    Item("I need a ride to", "the airport tomorrow morning."),
    Item("My son and", "I both need a checkup."),
    Item("Uh, I'm looking for the", "lost and found office."),
    Item("Would it be possible to get", "a late checkout on Sunday?"),
    Item("I was told that", "the store would refund the difference."),
]


def speak(text: str, voice: str) -> np.ndarray:
    """`text` in `voice` ("flite:<voice>" or "espeak:<voice>"), 16 kHz int16, trimmed to the
    voice: the measurements count from the last voiced sample, not from a voice's own tail."""
    engine, name = voice.split(":", 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        if engine == "flite":
            command = ["flite", "-voice", name, "-t", text, "-o", str(path)]
        else:
            command = ["espeak-ng", "-v", name, "-w", str(path), text]
        subprocess.run(command, check=True, capture_output=True)
        samples, rate = read_wav(path)
    return _trimmed(resample(samples, rate, RATE))


def _trimmed(samples: np.ndarray) -> np.ndarray:
    frame = RATE // 100
    frames = samples[: len(samples) // frame * frame].reshape(-1, frame).astype(np.float64)
    voiced = np.flatnonzero(np.sqrt((frames**2).mean(axis=1)) >= _SILENT_RMS)
    if voiced.size == 0:
        return samples
    return samples[voiced[0] * frame : (voiced[-1] + 1) * frame]


@dataclass(frozen=True)
class Utterance:
    samples: np.ndarray
    """16 kHz int16, what the caller says."""
    paused_at_s: float | None
    """Where the pause starts (None for a finished utterance)."""
    pause_s: float


def utterance(item: Item, index: int) -> Utterance:
    """Item `index` of a set: its voice and pause cycle with the index, so a run is
    deterministic."""
    voice = VOICES[index % len(VOICES)]
    first = speak(item.first, voice)
    if item.rest is None:
        return Utterance(first, None, 0.0)
    pause_s = PAUSES_S[index % len(PAUSES_S)]
    silence = np.zeros(round(pause_s * RATE), dtype=np.int16)
    rest = speak(item.rest, voice)
    return Utterance(np.concatenate([first, silence, rest]), len(first) / RATE, pause_s)
