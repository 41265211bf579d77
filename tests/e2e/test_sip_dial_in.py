"""A phone call through the real livekit-sip: SIPp dials a phone line over SIP/RTP (G.711) and
the line's agent answers in audio the caller receives; keys; a warm transfer by the agent."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from livekit import api as lk

from tests.media import flite_wav, normalized, transcribe
from tests.services import free_port
from tests.sip.bridge import SipBridge, bridge_settings, livekit_sip
from tests.sip.call_events import assert_bridged_until_hang_up, call_statuses, transfer_events
from tests.sip.phone import (
    RATE,
    RtpRecorder,
    answering_phone,
    silent_ulaw_wav,
    sipp_call,
    ulaw_wav,
    wav_seconds,
)
from tests.stack import Stack

pytestmark = pytest.mark.e2e

LINE_NUMBER = "+442079460958"
TRANSFER_LINE_NUMBER = "+442079460959"
CALLER_NUMBER = "+14155550100"
GREETING = "Hello, thanks for calling Bluebird Bakery. How can I help?"
INSTRUCTIONS = """You are the voice assistant of Bluebird Bakery. Keep answers short.
Our opening hours are seven in the morning to six in the evening, Monday to Saturday.
We are located at twelve Harbour Street, next to the library."""


@pytest.fixture(scope="module")
def bridge(stack: Stack) -> Iterator[SipBridge]:
    with livekit_sip(stack.workdir, stack.livekit, bridge_settings()) as running:
        yield running


async def phone_line(
    stack: Stack,
    inbound: dict,
    *,
    number: str = LINE_NUMBER,
    agent: dict | None = None,
    outbound: dict | None = None,
) -> dict:
    """A trunk with the number `number` and the phone line of an agent (Bluebird's unless
    `agent` gives another config) on it."""
    agent = agent or {"name": "Bluebird", "instructions": INSTRUCTIONS, "first_message": GREETING}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        created_agent = await api.post("/api/v1/agents", json=agent)
        assert created_agent.status_code == 201, created_agent.text
        trunk = await api.post(
            "/api/v1/sip/trunks",
            json={"name": "test carrier", "numbers": [number], "inbound": inbound}
            | ({"outbound": outbound} if outbound else {}),
        )
        assert trunk.status_code == 201, trunk.text
        line = await api.post(
            "/api/v1/sip/configs",
            json={
                "name": "Bakery line",
                "phone_number": number,
                "agent_config_id": created_agent.json()["id"],
                "max_call_duration": 120,
            },
        )
        assert line.status_code == 201, line.text
        return {"trunk": trunk.json()["trunk"], "line": line.json()["config"]}


async def remove(stack: Stack, created: dict) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        await api.delete(f"/api/v1/sip/configs/{created['line']['id']}")
        await api.delete(f"/api/v1/sip/trunks/{created['trunk']['id']}")


async def participants_seen(stack: Stack, seen: dict[str, set[int]]) -> None:
    """Records, room by room, the kinds of participant LiveKit lists during the call."""
    livekit = lk.LiveKitAPI(stack.livekit.url, stack.livekit.api_key, stack.livekit.api_secret)
    try:
        while True:
            for room in (await livekit.room.list_rooms(lk.ListRoomsRequest())).rooms:
                listed = await livekit.room.list_participants(
                    lk.ListParticipantsRequest(room=room.name)
                )
                seen.setdefault(room.name, set()).update(p.kind for p in listed.participants)
            await asyncio.sleep(0.5)
    finally:
        await livekit.aclose()


async def sip_session(api: httpx.AsyncClient, rooms: Iterable[str]) -> dict:
    listed = await api.get("/api/v1/sessions", params={"session_type": "sip"})
    assert listed.status_code == 200, listed.text
    (session,) = [s for s in listed.json()["sessions"] if s["room_name"] in rooms]
    return session


async def test_caller_dials_a_phone_line_and_the_agent_answers(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    created = await phone_line(stack, {"allowed_addresses": ["127.0.0.1/32"]})
    # The caller is silent while the agent greets, asks, then listens to the answer.
    question = ulaw_wav(
        flite_wav("Where is the bakery located?", tmp_path / "question16k.wav"),
        tmp_path / "question.wav",
        before_s=10,
        after_s=18,
    )
    loop = asyncio.get_running_loop()
    transport, recorder = await loop.create_datagram_endpoint(
        RtpRecorder, local_addr=("127.0.0.1", 0)
    )
    seen: dict[str, set[int]] = {}
    watcher = asyncio.create_task(participants_seen(stack, seen))
    try:
        result = await sipp_call(
            tmp_path,
            bridge.sip_port,
            called=LINE_NUMBER,
            caller=CALLER_NUMBER,
            audio=question,
            rtp_port=transport.get_extra_info("sockname")[1],
            hold_ms=int(wav_seconds(question) * 1000) + 500,
        )
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        transport.close()
        await remove(stack, created)
    assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]

    phone_rooms = {name: kinds for name, kinds in seen.items() if "_sip_" in name}
    assert phone_rooms, seen
    (kinds,) = phone_rooms.values()
    assert {lk.ParticipantInfo.Kind.SIP, lk.ParticipantInfo.Kind.AGENT} <= kinds

    spans = recorder.speech_spans()
    assert spans, "the caller heard nothing"
    heard = normalized(transcribe(recorder.samples(), RATE))
    assert "bluebird" in heard or "bakery" in heard, heard
    assert "harbour" in heard or "harbor" in heard or "library" in heard, heard

    # The call is a `sip` session of the line's agent, with both numbers and both sides.
    async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
        for _ in range(100):
            session = await sip_session(api, phone_rooms)
            if session["status"] != "active":
                break
            await asyncio.sleep(0.3)
        transcript = (await api.get(f"/api/v1/sessions/{session['id']}/transcript")).json()
    assert session["agent_config_id"] == created["line"]["agent_config_id"]
    assert session["metadata"]["caller_number"] == CALLER_NUMBER
    assert session["metadata"]["callee_number"] == LINE_NUMBER
    assert session["status"] == "completed", session
    assert session["end_reason"] == "participant_left", session
    speakers = [t["speaker"] for t in transcript["transcripts"]]
    assert "agent" in speakers and "user" in speakers, transcript
    said = normalized(" ".join(t["content"] for t in transcript["transcripts"]))
    assert "located" in said and "bluebird" in said, said

    statuses: list[str] = []
    for _ in range(50):
        statuses = call_statuses(stack, session["room_name"])
        if statuses and statuses[-1] == "completed":
            break
        await asyncio.sleep(0.3)
    assert statuses == ["ringing", "in_progress", "completed"], statuses


@pytest.mark.parametrize(
    ("inbound", "answer"),
    [
        # The caller sends from 127.0.0.1: livekit-sip rings and never answers.
        pytest.param(
            {"allowed_addresses": ["192.0.2.99/32"]}, "SIP/2.0 180", id="other-source-address"
        ),
        # The caller sends no credentials: challenged, never let in.
        pytest.param(
            {"allowed_addresses": ["127.0.0.1/32"], "auth_username": "carrier",
             "auth_password": "digest-secret"},
            "SIP/2.0 407",
            id="digest-credentials-missing",
        ),
    ],
)  # fmt: skip
async def test_an_inbound_trunk_refuses_callers_it_does_not_know(
    stack: Stack, bridge: SipBridge, tmp_path: Path, inbound: dict, answer: str
) -> None:
    created = await phone_line(stack, inbound)
    loop = asyncio.get_running_loop()
    transport, recorder = await loop.create_datagram_endpoint(
        RtpRecorder, local_addr=("127.0.0.1", 0)
    )
    seen: dict[str, set[int]] = {}
    watcher = asyncio.create_task(participants_seen(stack, seen))
    try:
        result = await sipp_call(
            tmp_path,
            bridge.sip_port,
            called=LINE_NUMBER,
            caller=CALLER_NUMBER,
            audio=silent_ulaw_wav(tmp_path / "silence.wav", 5),
            rtp_port=transport.get_extra_info("sockname")[1],
            hold_ms=1000,
            timeout_s=20,
        )
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        transport.close()
        await remove(stack, created)
    assert result.returncode != 0
    assert answer in result.messages
    assert "SIP/2.0 200" not in result.messages
    # No phone participant joined any room (an earlier call's empty room may still be listed).
    assert not any(lk.ParticipantInfo.Kind.SIP in kinds for kinds in seen.values()), seen
    assert not recorder.packets


async def active_sip_session(api: httpx.AsyncClient, limit_s: float) -> dict:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while loop.time() < deadline:
        listed = await api.get("/api/v1/sessions", params={"session_type": "sip"})
        active = [s for s in listed.json()["sessions"] if s["status"] == "active"]
        if active:
            return active[0]
        await asyncio.sleep(0.3)
    raise AssertionError("no active sip session")


async def test_keys_pressed_reach_the_agent_and_keys_sent_reach_the_phone(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    created = await phone_line(stack, {"allowed_addresses": ["127.0.0.1/32"]})
    loop = asyncio.get_running_loop()
    transport, recorder = await loop.create_datagram_endpoint(
        RtpRecorder, local_addr=("127.0.0.1", 0)
    )
    # The caller presses 1 eight seconds after the answer (after the greeting), then stays.
    call = asyncio.create_task(
        sipp_call(
            tmp_path,
            bridge.sip_port,
            called=LINE_NUMBER,
            caller=CALLER_NUMBER,
            audio=silent_ulaw_wav(tmp_path / "silence.wav", 24),
            rtp_port=transport.get_extra_info("sockname")[1],
            hold_ms=12_000,
            scenario="dial_in_dtmf.xml",
        )
    )
    try:
        async with httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers) as api:
            session = await active_sip_session(api, limit_s=15)
            await asyncio.sleep(11)  # past the caller's key
            sent = await api.post(f"/api/v1/sessions/{session['id']}/dtmf", json={"digits": "2#"})
            assert sent.status_code == 200, sent.text
            result = await call
            for _ in range(100):
                ended = (await api.get(f"/api/v1/sessions/{session['id']}/detail")).json()
                if ended["session"]["status"] != "active":
                    break
                await asyncio.sleep(0.3)
            transcript = (await api.get(f"/api/v1/sessions/{session['id']}/transcript")).json()
            not_a_phone = await api.post("/api/v1/sessions/ses_missing/dtmf", json={"digits": "1"})
    finally:
        call.cancel()
        transport.close()
        await remove(stack, created)
    assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    assert not_a_phone.status_code == 404
    # RFC 4733 events towards the phone: the payload's first byte is the key's event code.
    codes = {payload[0] for payload in recorder.events if len(payload) == 4}
    assert {2, 11} <= codes, codes
    lines = [(t["speaker"], t["content"]) for t in transcript["transcripts"]]
    assert ("system", "DTMF: caller pressed 1") in lines, lines
    assert ("system", "DTMF: sent 2#") in lines, lines


async def test_a_dial_in_warm_transfer_dials_through_the_lines_trunk_and_a_hang_up_ends_it(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    # The caller asks for billing after the greeting and hangs up 32 s after the answer; the
    # agent's warm target names no trunk, so the person is dialled through the trunk the call
    # came in on, and is hung up when the caller hangs up.
    (tmp_path / "person").mkdir()
    desk = silent_ulaw_wav(tmp_path / "person" / "desk.wav", 60)
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30) as api,
        answering_phone(tmp_path / "person", audio=desk, rtp_port=free_port()) as person_phone,
    ):
        target = {"name": "billing", "to": "tel:+14155550185", "mode": "warm"}
        created = await phone_line(
            stack,
            {"allowed_addresses": ["127.0.0.1/32"]},
            number=TRANSFER_LINE_NUMBER,
            agent={
                "name": "Bluebird with a billing desk",
                "first_message": "Hello, Bluebird Bakery.",
                "phone": {"transfer_targets": [target]},
            },
            outbound={"address": f"127.0.0.1:{person_phone.port}", "transport": "udp"},
        )
        policy = await api.put("/api/v1/sip/policy", json={"allowed_prefixes": ["+1"]})
        assert policy.status_code == 200, policy.text
        asks = ulaw_wav(
            flite_wav("Can I speak to someone in billing, please?", tmp_path / "asks16k.wav"),
            tmp_path / "asks.wav",
            before_s=5,
            after_s=40,
        )
        try:
            caller_result = await sipp_call(
                tmp_path,
                bridge.sip_port,
                called=TRANSFER_LINE_NUMBER,
                caller=CALLER_NUMBER,
                audio=asks,
                rtp_port=free_port(),
                hold_ms=32_000,
            )
            person_result = await person_phone.result(timeout_s=20)
            listed = await api.get("/api/v1/sessions", params={"session_type": "sip"})
            (session,) = [
                s
                for s in listed.json()["sessions"]
                if s["metadata"].get("phone_line_id") == created["line"]["id"]
            ]
        finally:
            await remove(stack, created)
        events = await transfer_events(stack, session["room_name"])
        transcript = (await api.get(f"/api/v1/sessions/{session['id']}/transcript")).json()
    for result in (caller_result, person_result):
        assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    assert "BYE sip:" in person_result.messages  # hung up by the bridge, not by the test
    assert session["end_reason"] == "transferred", session
    system = [t["content"] for t in transcript["transcripts"] if t["speaker"] == "system"]
    assert_bridged_until_hang_up(system, events, hung_up="the caller")
