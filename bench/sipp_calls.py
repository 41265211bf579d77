"""What a SIPp load run did, read from its files and from the RTP its callers received:
`bench/sip_load.xml` logs each call's INVITE, 200 OK and end (`<log>` with `[timestamp]`, wall
clock) and offers an RTP port of the bench's per call; `-trace_stat` writes SIPp's counters."""

from __future__ import annotations

import bisect
import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.voice_latency import summary
from tests.sip.phone import RtpRecorder


@dataclass
class CallTrace:
    """One SIPp call: wall-clock times of its INVITE, its 200 OK and its end (BYE answered)."""

    number: int
    port: int
    invited: float
    answered: float | None = None
    ended: float | None = None


@dataclass(frozen=True)
class Heard:
    """Wall-clock arrival of a call's first RTP packet and first audible one, and whether the
    caller heard the agent again after asking its question."""

    media_start: float | None
    first_audio: float | None
    replied: bool


def read_trace(path: Path) -> list[CallTrace]:
    """Calls from the scenario's <log> lines: `<event> <call> <port> <date> <time> <epoch>`."""
    calls: dict[int, CallTrace] = {}
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[0] not in {"invite", "answered", "ended"}:
            continue
        event, number, port, at = parts[0], int(parts[1]), int(parts[2]), float(parts[-1])
        if event == "invite":
            calls[number] = CallTrace(number, port, at)
        elif number in calls:
            setattr(calls[number], event, at)
    return sorted(calls.values(), key=lambda c: c.invited)


def read_stats(path: Path) -> dict[str, Any]:
    """The last row of SIPp's statistics (cumulative counters) and the most calls at once."""
    if not path.exists():
        raise SystemExit(f"SIPp wrote no statistics: see {path.parent / 'sipp.out'}")
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    last = rows[-1]
    reasons = {
        name.removesuffix("(C)"): int(value)
        for name, value in last.items()
        if name
        and name.startswith("Failed")
        and name.endswith("(C)")
        and name != "FailedCall(C)"
        and int(value or 0)
    }
    return {
        "created": int(last["TotalCallCreated"]),
        "successful": int(last["SuccessfulCall(C)"]),
        "failed": int(last["FailedCall(C)"]),
        "failed_by_reason": reasons,
        "retransmissions": int(last["Retransmissions(C)"]),
        "max_current": max(int(row["CurrentCall"]) for row in rows),
    }


def what_callers_heard(
    calls: list[CallTrace], receivers: dict[int, RtpRecorder], clock: float, question_end_s: float
) -> dict[int, Heard]:
    """Per call, from the RTP its port received between its INVITE and the next call's on the
    same port. `clock`: wall clock minus monotonic clock (the recorders stamp monotonic).
    `question_end_s`: when, after the answer, the caller's question ends."""
    heard: dict[int, Heard] = {}
    by_port: dict[int, list[CallTrace]] = {}
    for call in calls:
        by_port.setdefault(call.port, []).append(call)
    for port, on_port in by_port.items():
        recorder = receivers[port]
        arrivals = [arrived + clock for arrived, _, _ in recorder.packets]
        spans = [start + clock for start, _ in recorder.speech_spans()]
        for index, call in enumerate(on_port):
            until = on_port[index + 1].invited if index + 1 < len(on_port) else math.inf
            first = bisect.bisect_left(arrivals, call.invited)
            media = arrivals[first] if first < len(arrivals) and arrivals[first] < until else None
            audible = [s for s in spans if call.invited <= s < until]
            asked = (call.answered or math.inf) + question_end_s
            heard[call.number] = Heard(
                media, audible[0] if audible else None, any(s > asked for s in audible)
            )
    return heard


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    current = most = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


def call_figures(
    calls: list[CallTrace], stats: dict[str, Any], heard: dict[int, Heard], *, ended_by: float
) -> dict[str, Any]:
    """Attempted, completed and failed calls (a completed call whose caller never heard the
    agent reached no agent: failed too), calls/s, calls at once, post-dial delay (INVITE to
    200 OK) and answer latency (INVITE to the agent's first audible packet). `ended_by`: when
    SIPp exited (the end of a call it never ended)."""
    completed = [c for c in calls if c.ended is not None]
    silent = [c for c in completed if heard[c.number].first_audio is None]
    failed = stats["failed"] + len(silent)
    attempted = stats["created"]
    invites = [c.invited for c in calls]
    span_s = invites[-1] - invites[0] if invites else 0.0
    established = [(c.answered, c.ended or ended_by) for c in calls if c.answered]
    return {
        "calls": {
            "attempted": attempted,
            "completed": stats["successful"],
            "failed": failed,
            "failed_percent": round(100 * failed / attempted, 3) if attempted else None,
            "failed_sip": stats["failed"],
            "failed_sip_by_reason": stats["failed_by_reason"],
            "completed_without_agent_audio": len(silent),
            "replied_after_question": sum(heard[c.number].replied for c in completed),
            "sip_retransmissions": stats["retransmissions"],
        },
        "calls_per_s": round((len(invites) - 1) / span_s, 3) if span_s > 0 else None,
        "concurrent_calls": {
            "max_in_sipp": stats["max_current"],
            "max_established": most_at_once(established),
        },
        "post_dial_delay_s": summary([c.answered - c.invited for c in calls if c.answered]),
        "answer_latency_s": summary(
            [h.first_audio - c.invited for c in calls if (h := heard[c.number]).first_audio]
        ),
        "media_start_s": summary(
            [h.media_start - c.invited for c in calls if (h := heard[c.number]).media_start]
        ),
        "target_failed_below_0_1_percent": bool(attempted) and failed / attempted < 0.001,
    }
