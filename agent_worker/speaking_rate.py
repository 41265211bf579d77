"""The transcription synchronizer's speaking-rate estimate in whole-array numpy (a shim into
livekit-agents 1.8.9's `voice/transcription/_speaking_rate.py`).

While an agent speaks, livekit-agents paces the reply's text to its audio, so that an
interrupted reply is stored as far as the caller heard it. For that it estimates a speaking
rate every 100 ms of the reply's audio: the spectral flux of the last second, from a
short-time Fourier transform computed one 25 ms frame at a time in a Python loop (about 80
FFTs and 80 differences per estimate). A reply's audio arrives faster than it plays, so the
estimates of several seconds run back to back on the call's event loop: up to 341 ms of one
worker's loop blocked at a time in the density bench (20 calls), while other calls' audio
waited.

`install()` replaces that one method with the same arithmetic over all frames at once; the
result is the same to rounding (tests/agent_worker/test_speaking_rate.py compares the two,
and fails when an upgrade changes the method it replaces).
"""

from __future__ import annotations

import numpy as np
from livekit.agents.voice.transcription._speaking_rate import SpeakingRateStream

_FRAME_S = 0.025
"""livekit's frame: 25 ms, every half frame."""

original_spectral_flux = SpeakingRateStream._spectral_flux


def spectral_flux(audio: np.ndarray, sample_rate: int) -> float:
    """Mean L1 distance between the magnitude spectra of consecutive Hann-windowed 25 ms
    frames (hop half a frame), spectra scaled by the window's energy; 0.0 under two frames."""
    frame_length = int(sample_rate * _FRAME_S)
    hop_length = frame_length // 2
    count = (len(audio) - frame_length) // hop_length + 1
    if count < 2:
        return 0.0
    window = np.hanning(frame_length)
    frames = np.lib.stride_tricks.sliding_window_view(audio, frame_length)[::hop_length]
    magnitudes = np.abs(np.fft.rfft(frames * window, axis=1)) / np.sqrt(np.sum(window**2))
    return float(np.mean(np.abs(np.diff(magnitudes, axis=0)).sum(axis=1)))


def _method(_stream: SpeakingRateStream, audio: np.ndarray, sample_rate: int) -> float:
    return spectral_flux(audio, sample_rate)


def install() -> None:
    """Use `spectral_flux` for every speaking-rate stream of this process (idempotent)."""
    SpeakingRateStream._spectral_flux = _method  # type: ignore[method-assign,assignment]
