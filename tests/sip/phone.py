"""A phone caller for tests: SIPp places the call and sends G.711 audio; a UDP socket of the
test receives the RTP the caller hears, so the test can transcribe it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tests.services import free_port

SCENARIOS = Path(__file__).parent / "scenarios"
RATE = 8000
PCMU = 0


def ulaw_wav(source: Path, target: Path, *, before_s: float = 0.0, after_s: float = 0.0) -> Path:
    """An 8 kHz mono mu-law WAV, the only kind SIPp's `rtp_stream` plays as PCMU, padded with
    silence: a phone sends RTP all call long, and livekit-sip hangs up on a caller who sends
    none for 15 s ("media-timeout")."""
    subprocess.run(
        [
            "sox",
            str(source),
            "-r",
            str(RATE),
            "-c",
            "1",
            "-e",
            "u-law",
            str(target),
            "pad",
            str(before_s),
            str(after_s),
        ],
        check=True,
        capture_output=True,
    )
    return target


def silent_ulaw_wav(target: Path, seconds: float) -> Path:
    """A caller or callee who listens: silence, as RTP, for `seconds`."""
    ulaw = ["-r", str(RATE), "-c", "1", "-e", "u-law"]
    subprocess.run(
        ["sox", "-n", *ulaw, str(target), "trim", "0", str(seconds)],
        check=True,
        capture_output=True,
    )
    return target


def wav_seconds(path: Path) -> float:
    result = subprocess.run(["soxi", "-D", str(path)], check=True, capture_output=True, text=True)
    return float(result.stdout)


def _ulaw_table() -> np.ndarray:
    codes = np.arange(256, dtype=np.int32) ^ 0xFF
    sign = codes & 0x80
    exponent = (codes >> 4) & 0x07
    mantissa = codes & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


ULAW = _ulaw_table()


@dataclass
class RtpRecorder(asyncio.DatagramProtocol):
    """Collects PCMU payloads by arrival time; other payload types (DTMF events) are kept
    apart."""

    packets: list[tuple[float, int, bytes]] = field(default_factory=list)
    events: list[bytes] = field(default_factory=list)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 12:
            return
        first, marker_type, sequence = struct.unpack("!BBH", data[:4])
        header = 12 + 4 * (first & 0x0F)
        if first & 0x10:  # header extension
            header += 4 + 4 * struct.unpack("!H", data[header + 2 : header + 4])[0]
        payload_type = marker_type & 0x7F
        payload = data[header:]
        if payload_type == PCMU:
            self.packets.append((time.monotonic(), sequence, payload))
        else:
            self.events.append(payload)

    def samples(self, since: float = 0.0, until: float = float("inf")) -> np.ndarray:
        chosen = [p for t, _, p in self.packets if since <= t <= until]
        if not chosen:
            return np.zeros(0, dtype=np.int16)
        return ULAW[np.frombuffer(b"".join(chosen), dtype=np.uint8)]

    def speech_spans(
        self, threshold: float = 500.0, gap_s: float = 0.8
    ) -> list[tuple[float, float]]:
        """(start, end) arrival times of stretches of audible packets, split by silences."""
        spans: list[tuple[float, float]] = []
        for arrived, _, payload in self.packets:
            pcm = ULAW[np.frombuffer(payload, dtype=np.uint8)].astype(np.float64)
            if pcm.size == 0 or float(np.sqrt(np.mean(pcm**2))) < threshold:
                continue
            if spans and arrived - spans[-1][1] <= gap_s:
                spans[-1] = (spans[-1][0], arrived)
            else:
                spans.append((arrived, arrived))
        return spans


@dataclass(frozen=True)
class SippResult:
    returncode: int
    messages: str
    errors: str


def free_media_ports() -> int:
    """A port P with P to P + 3 free for UDP on 127.0.0.1: SIPp binds its audio RTP at P and
    its video RTP at P + 2 (each RTCP next to it). One free port was not enough: a phone failed
    to start with "Unable to bind video RTP socket ... Address already in use" and never
    answered."""
    for _ in range(100):
        base = free_port()
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + 4):
                sockets.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                sockets[-1].bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return base
    raise RuntimeError("no four consecutive free UDP ports on 127.0.0.1")


async def _start_sipp(
    workdir: Path, scenario: str, audio: Path, rtp_port: int, args: list[str]
) -> asyncio.subprocess.Process:
    binary = shutil.which("sipp")
    if binary is None:
        raise RuntimeError("sipp is missing: apt-get install sip-tester (or `make deps`)")
    template = (SCENARIOS / scenario).read_text()
    scenario_file = workdir / scenario
    scenario_file.write_text(template.replace("@AUDIO@", str(audio)))
    argv = [
        binary,
        *args,
        "-sf", str(scenario_file),
        "-key", "rtp_port", str(rtp_port),
        "-m", "1",
        "-l", "1",
        "-t", "u1",
        "-i", "127.0.0.1",
        "-mi", "127.0.0.1",
        "-mp", str(free_media_ports()),
        "-nostdin",
        "-trace_msg", "-message_file", str(workdir / f"{scenario}-messages.log"),
        "-trace_err", "-error_file", str(workdir / f"{scenario}-errors.log"),
    ]  # fmt: skip
    return await asyncio.create_subprocess_exec(
        *argv,
        cwd=workdir,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _result(workdir: Path, scenario: str, returncode: int) -> SippResult:
    return SippResult(
        returncode,
        _text(workdir / f"{scenario}-messages.log"),
        _text(workdir / f"{scenario}-errors.log"),
    )


async def sipp_call(
    workdir: Path,
    bridge_port: int,
    *,
    called: str,
    caller: str,
    audio: Path,
    rtp_port: int,
    hold_ms: int,
    scenario: str = "dial_in.xml",
    timeout_s: int | None = None,
) -> SippResult:
    """One call with SIPp over UDP on loopback, sending `audio` (see `ulaw_wav`); returns when
    SIPp exits."""
    target = [f"127.0.0.1:{bridge_port}", "-s", called, "-key", "caller", caller]
    timeout = timeout_s if timeout_s is not None else hold_ms // 1000 + 60
    timing = ["-d", str(hold_ms), "-timeout", str(timeout), "-timeout_error"]
    process = await _start_sipp(
        workdir, scenario, audio, rtp_port, [*target, *timing, "-p", str(free_port())]
    )
    return _result(workdir, scenario, await process.wait())


@dataclass
class AnsweringPhone:
    """A SIPp phone waiting for one call on `port`; `result()` waits until it hung up."""

    port: int
    process: asyncio.subprocess.Process
    workdir: Path
    scenario: str

    async def result(self, timeout_s: float = 30.0) -> SippResult:
        try:
            returncode = await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            self.process.kill()
            returncode = await self.process.wait()
        return _result(self.workdir, self.scenario, returncode)


@asynccontextmanager
async def answering_phone(
    workdir: Path,
    *,
    audio: Path,
    rtp_port: int,
    scenario: str = "answer.xml",
    hang_up_after_ms: int | None = None,
) -> AsyncIterator[AnsweringPhone]:
    """`hang_up_after_ms`: how long a phone of answer_hang_up.xml stays in the call."""
    port = free_port()
    args = ["-p", str(port), "-timeout", "120", "-timeout_error"]
    if hang_up_after_ms is not None:
        args += ["-d", str(hang_up_after_ms)]
    process = await _start_sipp(workdir, scenario, audio, rtp_port, args)
    phone = AnsweringPhone(port, process, workdir, scenario)
    try:
        yield phone
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""
