"""agent_worker/ffi_routing.py against the pinned livekit SDK: an audio stream's subscription
lets through only its own frames, a subscription without a filter hears no stream events,
and what the shim relies on still holds (it fails when an upgrade changes it)."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
from livekit import rtc
from livekit.rtc._ffi_client import FfiClient
from livekit.rtc._proto import ffi_pb2

from agent_worker import ffi_routing

pytestmark = pytest.mark.unit

RTC_SOURCES = Path(rtc.__file__).parent


def filter_of(subscription: object) -> ffi_routing.Filter | None:
    queue = FfiClient.instance.queue
    with queue._lock:
        return next(fn for target, _, fn in queue._subscribers if target is subscription)


def stream_event(handle: int) -> ffi_pb2.FfiEvent:
    event = ffi_pb2.FfiEvent()
    event.audio_stream_event.stream_handle = handle
    return event


async def test_each_audio_stream_hears_only_its_own_frames() -> None:
    ffi_routing.install()
    sources = [rtc.AudioSource(24000, 1) for _ in range(2)]
    streams = [
        rtc.AudioStream.from_track(
            track=rtc.LocalAudioTrack.create_audio_track(f"voice-{index}", source),
            sample_rate=24000,
            num_channels=1,
        )
        for index, source in enumerate(sources)
    ]
    try:
        first, second = (stream._ffi_handle.handle for stream in streams)
        hears = filter_of(streams[0]._ffi_queue)
        assert hears is not None
        assert hears(stream_event(first))
        assert not hears(stream_event(second))
        capture = ffi_pb2.FfiEvent()
        capture.capture_audio_frame.async_id = 7
        assert not hears(capture)
    finally:
        for stream in streams:
            await stream.aclose()


async def test_a_subscription_without_a_filter_hears_everything_but_stream_events() -> None:
    ffi_routing.install()
    queue = FfiClient.instance.queue
    subscription = queue.subscribe()
    try:
        hears = filter_of(subscription)
        assert hears is not None
        assert not hears(stream_event(1))
        video = ffi_pb2.FfiEvent()
        video.video_stream_event.stream_handle = 1
        assert not hears(video)
        capture = ffi_pb2.FfiEvent()
        capture.capture_audio_frame.async_id = 7
        assert hears(capture)
    finally:
        queue.unsubscribe(subscription)


def test_only_the_stream_classes_read_stream_events() -> None:
    """Why unfiltered subscriptions may skip them: nothing else in the SDK reads them."""
    readers = {
        path.name
        for path in RTC_SOURCES.glob("*.py")
        if re.search(r"\.(audio|video)_stream_event\b", path.read_text())
    }
    assert readers == {"audio_stream.py", "video_stream.py"}


def test_the_pinned_sdk_still_offers_every_stream_every_frame() -> None:
    """livekit 1.2.1 filters by stream itself: once livekit-agents allows it, drop the shim."""
    version = metadata.version("livekit")
    assert version == "1.1.21", f"livekit {version} may filter by stream: then drop ffi_routing"
    source = (RTC_SOURCES / "audio_stream.py").read_text()
    assert 'filter_fn=lambda e: e.WhichOneof("message") == "audio_stream_event"' in source
