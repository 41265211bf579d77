"""Each audio stream of a process hears only its own frames (a shim into livekit's Python SDK,
`livekit` 1.1.21, the version livekit-agents 1.8.9 pins exactly).

livekit's FFI thread offers every event to every subscriber of the process: each audio stream
subscribes to all audio stream events and drops other streams' frames on the event loop, and
each frame being captured (an agent's reply, 10 a second per speaking call) waits on a
subscription that hears everything. With N calls in a process, each of their frames wakes an
event loop about N times: work that grows with the square of the calls per process.
livekit 1.2.1 filters by stream in the FFI thread, but livekit-agents 1.8.9 requires 1.1.21.

`install()` does the same from outside the SDK, in one place (every worker process calls it
in its prewarm, the media gateway at start, whose calls are all participants of its one
process, and the density bench's caller processes):
- an audio stream's subscription, once the stream has its handle, lets through only that
  stream's events (filters run in the FFI thread, before the loop is woken);
- a subscription without a filter (a capture, a request waiting for its callback) no longer
  hears audio or video stream events: in the pinned SDK only `AudioStream` and `VideoStream`
  read them, each through a filtered subscription of its own.

tests/agent_worker/test_ffi_routing.py checks both against the pinned SDK, and fails when an
upgrade changes what this relies on (then: drop this module if the SDK filters by itself).
Measured with `python -m bench.webrtc_floor [--routed]` (20 calls, SDK work alone): the agent
side 3.52 -> 3.31 % of a core per call; more in a busy worker (bench/VOICE_RESULTS.md).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import Any

from livekit.rtc import AudioStream
from livekit.rtc._ffi_client import FfiClient, FfiQueue
from livekit.rtc._proto import ffi_pb2

_STREAM_EVENTS = frozenset({"audio_stream_event", "video_stream_event"})
_installed = False
_install_lock = threading.Lock()

Filter = Callable[[ffi_pb2.FfiEvent], bool]


def install() -> None:
    """Route this process's FFI events as above (idempotent; job threads prewarm at once)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        _installed = True
        FfiQueue.subscribe = _subscribe_default_filtered(FfiQueue.subscribe)  # type: ignore[method-assign]
        AudioStream.__init__ = _narrowed_after(AudioStream.__init__)  # type: ignore[method-assign]


def not_a_stream_event(event: ffi_pb2.FfiEvent) -> bool:
    return event.WhichOneof("message") not in _STREAM_EVENTS


def stream_events_of(handle: int) -> Filter:
    def own(event: ffi_pb2.FfiEvent) -> bool:
        return (
            event.WhichOneof("message") == "audio_stream_event"
            and event.audio_stream_event.stream_handle == handle
        )

    return own


def narrow(queue: FfiQueue[Any], subscription: object, keep: Filter) -> None:
    """Give `subscription` (a queue `queue.subscribe` returned) the filter `keep`."""
    with queue._lock:
        for index, (target, loop, _) in enumerate(queue._subscribers):
            if target is subscription:
                queue._subscribers[index] = (target, loop, keep)
                return


def _subscribe_default_filtered(subscribe: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(subscribe)
    def wrapper(
        self: FfiQueue[Any],
        loop: asyncio.AbstractEventLoop | None = None,
        filter_fn: Filter | None = None,
    ) -> Any:
        # only the FFI client's own queue carries FfiEvents (a participant's room queue
        # carries other messages)
        client = FfiClient._instance  # not `.instance`: that would start the FFI runtime
        if filter_fn is None and client is not None and self is client.queue:
            filter_fn = not_a_stream_event
        return subscribe(self, loop=loop, filter_fn=filter_fn)

    return wrapper


def _narrowed_after(init: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(init)
    def wrapper(self: AudioStream, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        # until here every audio stream event came through; the stream drops others' itself
        narrow(FfiClient.instance.queue, self._ffi_queue, stream_events_of(self._ffi_handle.handle))

    return wrapper
