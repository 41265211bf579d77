"""Answering-machine detection offline: the greeting rules, and livekit-agents' own AMD
classifier deciding with them from speech timings and transcripts as a call feeds it."""

from __future__ import annotations

import asyncio

import pytest
from livekit.agents.voice.amd import AMDCategory, AMDPredictionEvent
from livekit.agents.voice.amd.classifier import _AMDClassifier

from agent_worker.voicemail import GreetingClassifier, answered_by, classify_greeting

pytestmark = pytest.mark.unit

MACHINE = (
    "Hi, you have reached the voicemail of Sam Jones. I can't take your call right now, "
    "please leave a message after the tone."
)


@pytest.mark.parametrize(
    ("greeting", "category"),
    [
        ("Hello?", AMDCategory.HUMAN),
        ("Hello, this is Sam, who's calling?", AMDCategory.HUMAN),
        (MACHINE, AMDCategory.MACHINE_VM),
        ("The person you are calling is not available. At the tone, record your message.",
         AMDCategory.MACHINE_VM),
        ("The mailbox is full and cannot accept any new messages. Goodbye.",
         AMDCategory.MACHINE_UNAVAILABLE),
        ("Thank you for calling Bluebird Bakery. For orders, press 1.", AMDCategory.MACHINE_IVR),
        ("Thank you for calling Bluebird Bakery in Harbour Street where we bake bread daily",
         AMDCategory.UNCERTAIN),
    ],
)  # fmt: skip
def test_greetings_are_told_apart_by_their_words(greeting: str, category: AMDCategory) -> None:
    assert classify_greeting(greeting) is category


async def _verdict(classifier: _AMDClassifier, limit_s: float = 5.0) -> AMDPredictionEvent:
    verdicts: list[AMDPredictionEvent] = []
    classifier.on("amd_prediction", verdicts.append)
    for _ in range(int(limit_s / 0.05)):
        if verdicts:
            return verdicts[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no verdict")


def _classifier() -> _AMDClassifier:
    # the library's thresholds, with end of turn and silence shortened for a fast test
    return _AMDClassifier(
        GreetingClassifier(), machine_silence_threshold=0.2, max_endpointing_delay=0.3, timeout=5
    )


async def test_a_short_hello_then_silence_is_a_person() -> None:
    classifier = _classifier()
    classifier.start_detection_timer()
    classifier.start_listening()
    classifier.on_user_speech_started()
    await asyncio.sleep(0.6)  # "Hello?"
    verdict_task = asyncio.ensure_future(_verdict(classifier))
    classifier.on_user_speech_ended(silence_duration=0.5)
    verdict = await verdict_task
    await classifier.close()
    assert verdict.category is AMDCategory.HUMAN
    assert answered_by(verdict) == "human"


async def test_a_long_greeting_asking_for_a_message_is_a_machine_once_it_ended() -> None:
    classifier = _classifier()
    classifier.start_detection_timer()
    classifier.start_listening()
    classifier.on_user_speech_started()
    verdict_task = asyncio.ensure_future(_verdict(classifier))
    await asyncio.sleep(2.7)  # longer than a person's hello
    classifier.push_text(MACHINE)
    await asyncio.sleep(0.3)
    assert not verdict_task.done()  # the greeting still runs: no verdict before its end
    classifier.on_user_speech_ended(silence_duration=0.5)
    classifier.on_end_of_turn()
    verdict = await verdict_task
    await classifier.close()
    assert verdict.category is AMDCategory.MACHINE_VM
    assert answered_by(verdict) == "machine"
    assert verdict.speech_duration > 2.5
