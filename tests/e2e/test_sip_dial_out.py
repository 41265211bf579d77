"""`POST /sip/dial` through the real livekit-sip: a SIPp phone rings, answers and hears the
agent's greeting; the call is a session with the agent's turns; the agent hangs up after a
goodbye; busy, unanswered and failed calls say why; transfers; voicemail detection."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from livekit import api as lk

from tests.media import flite_wav, normalized, transcribe
from tests.services import free_port
from tests.sip.bridge import SipBridge, bridge_settings, livekit_sip
from tests.sip.call_events import (
    assert_bridged_until_hang_up,
    call_events,
    call_statuses,
    steps_and_person,
    transfer_events,
)
from tests.sip.phone import (
    RATE,
    AnsweringPhone,
    RtpRecorder,
    answering_phone,
    silent_ulaw_wav,
    ulaw_wav,
)
from tests.stack import Stack

pytestmark = pytest.mark.e2e

CALLEE = "+14155550123"
CALLER_ID = "+14155550100"
GREETING = "Hello, this is Bluebird Bakery calling about your order."


@pytest.fixture(scope="module")
def bridge(stack: Stack) -> Iterator[SipBridge]:
    with livekit_sip(stack.workdir, stack.livekit, bridge_settings()) as running:
        yield running


async def carrier_to(api: httpx.AsyncClient, phone: AnsweringPhone, caller_id: str) -> str:
    """A trunk whose calls go out to `phone` showing `caller_id`, and a dialling policy that
    lets +1 numbers through; the trunk's id."""
    trunk = await api.post(
        "/api/v1/sip/trunks",
        json={
            "name": f"carrier of {caller_id}",
            "numbers": [caller_id],
            "outbound": {"address": f"127.0.0.1:{phone.port}", "transport": "udp"},
        },
    )
    assert trunk.status_code == 201, trunk.text
    policy = await api.put("/api/v1/sip/policy", json={"allowed_prefixes": ["+1"]})
    assert policy.status_code == 200, policy.text
    return str(trunk.json()["trunk"]["id"])


async def dial(api: httpx.AsyncClient, trunk_id: str, **body: object) -> dict:
    """`POST /sip/dial` to CALLEE through the trunk; the call."""
    dialed = await api.post(
        "/api/v1/sip/dial", json={"phone_number": CALLEE, "trunk_id": trunk_id, **body}
    )
    assert dialed.status_code == 201, dialed.text
    return dict(dialed.json()["call"])


async def ended_session(api: httpx.AsyncClient, session_id: str) -> dict:
    """The session's detail once it is no longer active (or after 30 s)."""
    for _ in range(100):
        detail = (await api.get(f"/api/v1/sessions/{session_id}/detail")).json()
        if detail["session"]["status"] != "active":
            break
        await asyncio.sleep(0.3)
    return dict(detail)


async def call_with_a_person_to_dial(
    stack: Stack,
    api: httpx.AsyncClient,
    caller: tuple[AnsweringPhone, str],
    person: tuple[AnsweringPhone, str],
) -> tuple[dict, str]:
    """A dial-out to the caller's phone, answered by an agent (each phone has a trunk showing
    its caller id); the call once in progress, and the trunk reaching the person."""
    agent = await api.post(
        "/api/v1/agents", json={"name": "Warm transferring agent", "first_message": "Hello."}
    )
    trunk_id = await carrier_to(api, *caller)
    person_trunk_id = await carrier_to(api, *person)
    call = await dial(api, trunk_id, agent_config_id=agent.json()["id"])
    for _ in range(60):
        if call_statuses(stack, call["full_room_name"])[-1:] == ["in_progress"]:
            break
        await asyncio.sleep(0.3)
    return call, person_trunk_id


async def participants_then_hang_up(stack: Stack, room: str) -> list[lk.ParticipantInfo]:
    """Who is in the call's room; then the room is removed (the phones get their BYE)."""
    livekit = lk.LiveKitAPI(stack.livekit.url, stack.livekit.api_key, stack.livekit.api_secret)
    try:
        listed = await livekit.room.list_participants(lk.ListParticipantsRequest(room=room))
        await livekit.room.delete_room(lk.DeleteRoomRequest(room=room))
    finally:
        await livekit.aclose()
    return list(listed.participants)


def audible(recorder: RtpRecorder, since: float, until: float = float("inf")) -> bool:
    """Whether some speech arrived between `since` and `until`."""
    return any(end >= since and start <= until for start, end in recorder.speech_spans())


async def wait_for_speech_then_quiet(recorder: RtpRecorder, limit_s: float) -> bool:
    """True once the phone heard speech followed by 4 s of quiet (the agent's TTS may render
    a first clause alone and pause before the rest)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while loop.time() < deadline:
        spans = recorder.speech_spans()
        if spans and loop.time() - spans[-1][1] > 4.0:
            return True
        await asyncio.sleep(0.2)
    return False


async def test_dial_out_rings_a_phone_and_the_agent_speaks_to_it(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    # The callee listens to the greeting (one who talks at once would barge into it), then
    # says goodbye: the agent says its own and hangs up.
    listening = ulaw_wav(
        flite_wav("Thank you, goodbye.", tmp_path / "goodbye16k.wav"),
        tmp_path / "goodbye.wav",
        before_s=8,
        after_s=40,
    )
    loop = asyncio.get_running_loop()
    transport, recorder = await loop.create_datagram_endpoint(
        RtpRecorder, local_addr=("127.0.0.1", 0)
    )
    rtp_port = transport.get_extra_info("sockname")[1]
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30) as api,
        answering_phone(tmp_path, audio=listening, rtp_port=rtp_port) as phone,
    ):
        agent = await api.post(
            "/api/v1/agents",
            json={"name": "Bluebird caller", "first_message": GREETING},
        )
        await carrier_to(api, phone, CALLER_ID)

        dialed = await api.post(
            "/api/v1/sip/dial",
            json={"phone_number": CALLEE, "agent_config_id": agent.json()["id"]},
            headers={"Idempotency-Key": "dial-out-e2e"},
        )
        assert dialed.status_code == 201, dialed.text
        call = dialed.json()["call"]
        assert (call["phone_number"], call["caller_id"]) == (CALLEE, CALLER_ID)
        assert call["session_id"] and call["sip_participant_id"]
        again = await api.post(
            "/api/v1/sip/dial",
            json={"phone_number": CALLEE, "agent_config_id": agent.json()["id"]},
            headers={"Idempotency-Key": "dial-out-e2e"},
        )
        assert again.json()["call"]["id"] == call["id"]  # replayed, not dialled twice
        usage = (await api.get("/api/v1/sip/policy")).json()["policy"]

        # The agent hangs up after its goodbye: the phone gets a BYE and SIPp ends.
        result = await phone.result(timeout_s=60)
        transport.close()

        heard = normalized(transcribe(recorder.samples(), RATE))
        assert "bluebird" in heard or "bakery" in heard, heard
        assert "goodbye" in heard, heard
        assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
        assert usage["active_calls"] == 1

        session = await ended_session(api, call["session_id"])
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
    assert session["session"]["status"] != "active", session
    assert session["session"]["session_type"] == "sip"
    metadata = session["session"]["metadata"]
    assert (metadata["caller_number"], metadata["callee_number"]) == (CALLER_ID, CALLEE)
    statuses: list[str] = []
    for _ in range(50):
        statuses = call_statuses(stack, call["full_room_name"])
        if statuses and statuses[-1] == "completed":
            break
        await asyncio.sleep(0.3)
    assert statuses == ["initiating", "ringing", "in_progress", "completed"], statuses
    agent_lines = [t["content"] for t in transcript["transcripts"] if t["speaker"] == "agent"]
    assert agent_lines and "Bluebird" in agent_lines[0], transcript
    assert "Thank you for calling. Goodbye!" in agent_lines, agent_lines


@pytest.mark.parametrize(
    ("scenario", "caller_id", "statuses"),
    [
        pytest.param("busy.xml", "+14155550101", ["initiating", "ringing", "busy"], id="busy"),
        # Rings past the call's 3 s ringing timeout: livekit-sip sends CANCEL.
        pytest.param(
            "no_answer.xml", "+14155550102", ["initiating", "ringing", "no_answer"], id="no-answer"
        ),
        pytest.param("server_error.xml", "+14155550103", ["initiating", "failed"], id="failed"),
    ],
)
async def test_a_call_nobody_answers_ends_with_why(
    stack: Stack, bridge: SipBridge, tmp_path: Path, scenario: str, caller_id: str,
    statuses: list[str],
) -> None:  # fmt: skip
    silence = silent_ulaw_wav(tmp_path / "silence.wav", 2)
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30) as api,
        answering_phone(tmp_path, audio=silence, rtp_port=free_port(), scenario=scenario) as phone,
    ):
        trunk_id = await carrier_to(api, phone, caller_id)
        call = await dial(
            api,
            trunk_id,
            # busy.xml rings 3 s before its 486: it keeps the default
            **({} if scenario == "busy.xml" else {"ringing_timeout": 3}),
        )
        result = await phone.result()
        seen: list[str] = []
        for _ in range(60):
            seen = call_statuses(stack, call["full_room_name"])
            if seen and seen[-1] not in ("initiating", "ringing"):
                break
            await asyncio.sleep(0.3)
    assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    assert seen == statuses, seen


async def test_a_cold_transfer_refers_the_phone_to_the_target(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    listening = silent_ulaw_wav(tmp_path / "silence.wav", 30)
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=60) as api,
        answering_phone(
            tmp_path, audio=listening, rtp_port=free_port(), scenario="transfer.xml"
        ) as phone,
    ):
        agent = await api.post(
            "/api/v1/agents", json={"name": "Transferring agent", "first_message": "Hello."}
        )
        trunk_id = await carrier_to(api, phone, "+14155550104")
        call = await dial(
            api,
            trunk_id,
            agent_config_id=agent.json()["id"],
        )
        for _ in range(60):
            if call_statuses(stack, call["full_room_name"])[-1:] == ["in_progress"]:
                break
            await asyncio.sleep(0.3)
        premium = await api.post(
            f"/api/v1/sessions/{call['session_id']}/transfer", json={"to": "tel:+19005550123"}
        )
        moved = await api.post(
            f"/api/v1/sessions/{call['session_id']}/transfer", json={"to": "tel:+14155550199"}
        )
        result = await phone.result()
        session = await ended_session(api, call["session_id"])
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
    assert premium.status_code == 409, premium.text  # the dialling policy holds for transfers
    assert moved.status_code == 200, moved.text
    assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    cold = [e["transfer"] for e in call_events(stack, call["full_room_name"]) if "transfer" in e]
    assert [(t["mode"], t["leg"], t["step"]) for t in cold] == [("cold", "caller", "referred")]
    refer = result.messages[result.messages.index("REFER sip:") :]
    assert "Refer-To: tel:+14155550199" in refer[: refer.index("\n\n")], refer[:1500]
    assert session["session"]["status"] != "active", session
    lines = [(t["speaker"], t["content"]) for t in transcript["transcripts"]]
    assert ("system", "Call transferred (cold)") in lines, lines


async def test_the_agent_transfers_a_callee_who_asks_for_a_team_of_its_config(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    # The callee hears the greeting, then asks for sales and waits for the transfer.
    asks = ulaw_wav(
        flite_wav("Can I speak to someone in sales, please?", tmp_path / "asks16k.wav"),
        tmp_path / "asks.wav",
        before_s=6,
        after_s=30,
    )
    phone_config = {
        "transfer_targets": [
            {"name": "sales", "to": "tel:+14155550177", "description": "orders and prices"}
        ],
        "transfer_message": "Putting you through to sales now.",
    }
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=60) as api,
        answering_phone(
            tmp_path, audio=asks, rtp_port=free_port(), scenario="transfer.xml"
        ) as phone,
    ):
        agent = await api.post(
            "/api/v1/agents",
            json={
                "name": "Agent with a sales line",
                "first_message": "Hello.",
                "phone": phone_config,
            },
        )
        assert agent.status_code == 201, agent.text
        trunk_id = await carrier_to(api, phone, "+14155550105")
        call = await dial(
            api,
            trunk_id,
            agent_config_id=agent.json()["id"],
        )
        result = await phone.result(timeout_s=60)
        session = await ended_session(api, call["session_id"])
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
    assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    refer = result.messages[result.messages.index("REFER sip:") :]
    assert "Refer-To: tel:+14155550177" in refer[: refer.index("\n\n")], refer[:1500]
    assert session["session"]["status"] != "active", session
    lines = [(t["speaker"], t["content"]) for t in transcript["transcripts"]]
    assert ("agent", "Putting you through to sales now.") in lines, lines
    assert ("system", "Call transferred (cold)") in lines, lines


def callee_audio(tmp_path: Path, answers: str) -> Path:
    """What the callee's side plays from the answer on: a person says hello and listens; an
    answering machine plays a long greeting, then its beep, then records (silence)."""
    if answers == "human":
        spoken = flite_wav("Hello?", tmp_path / "hello16k.wav")
        return ulaw_wav(spoken, tmp_path / "hello.wav", before_s=0.5, after_s=40)
    greeting = flite_wav(
        "Hi, you have reached the voicemail of Sam Jones at Harbour Street, I can not take "
        "your call right now, please leave a message after the tone.",
        tmp_path / "greeting16k.wav",
    )
    beep = tmp_path / "beep16k.wav"
    subprocess.run(
        [
            "sox",
            "-n",
            "-r",
            "16000",
            "-c",
            "1",
            "-b",
            "16",
            str(beep),
            "synth",
            "0.6",
            "sine",
            "1000",
        ],
        check=True,
    )
    joined = tmp_path / "machine16k.wav"
    subprocess.run(["sox", str(greeting), str(beep), str(joined)], check=True)
    return ulaw_wav(joined, tmp_path / "machine.wav", before_s=0.3, after_s=40)


@pytest.mark.parametrize(
    ("answers", "action", "caller_id"),
    [
        pytest.param("human", "leave_message", "+14155550106", id="human"),
        pytest.param("machine", "leave_message", "+14155550107", id="machine-message"),
        pytest.param("machine", "hang_up", "+14155550112", id="machine-hang-up"),
    ],
)
async def test_a_dial_with_voicemail_detection_tells_a_person_from_an_answering_machine(
    stack: Stack, bridge: SipBridge, tmp_path: Path, answers: str, action: str, caller_id: str
) -> None:
    loop = asyncio.get_running_loop()
    transport, recorder = await loop.create_datagram_endpoint(
        RtpRecorder, local_addr=("127.0.0.1", 0)
    )
    rtp_port = transport.get_extra_info("sockname")[1]
    message = "This is Bluebird Bakery, your order is ready, please call us back."
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=30) as api,
        answering_phone(
            tmp_path, audio=callee_audio(tmp_path, answers), rtp_port=rtp_port
        ) as phone,
    ):
        agent = await api.post(
            "/api/v1/agents", json={"name": "Bluebird reminders", "first_message": GREETING}
        )
        trunk_id = await carrier_to(api, phone, caller_id)
        dialled = loop.time()
        call = await dial(
            api,
            trunk_id,
            agent_config_id=agent.json()["id"],
            voicemail={"action": action, "message": message},
        )
        if answers == "human":
            assert await wait_for_speech_then_quiet(recorder, limit_s=60), "no agent heard"
            livekit = lk.LiveKitAPI(
                stack.livekit.url, stack.livekit.api_key, stack.livekit.api_secret
            )
            await livekit.room.delete_room(lk.DeleteRoomRequest(room=call["full_room_name"]))
            await livekit.aclose()
        # a machine is hung up on by the agent (after its message, or at once)
        result = await phone.result(timeout_s=90)
        hung_up = loop.time()
        transport.close()
        session = await ended_session(api, call["session_id"])
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
    assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    heard = normalized(transcribe(recorder.samples(), RATE))
    lines = [(t["speaker"], t["content"]) for t in transcript["transcripts"]]
    metadata = session["session"]["metadata"]
    events: list[dict] = []
    for _ in range(50):
        events = call_events(stack, call["full_room_name"])
        if events and events[-1]["status"] == "completed":
            break
        await asyncio.sleep(0.3)
    if answers == "human":
        assert "order" in heard and "ready" not in heard, heard  # the greeting, no voicemail
        assert (metadata["answered_by"], metadata["voicemail"]) == ("human", None), metadata
        assert ("system", "Answered by a person") in lines, lines
        assert events[-1]["answered_by"] == "human", events
    elif action == "leave_message":
        assert "ready" in heard and "call us back" in heard, heard
        assert "calling about your order" not in heard, heard  # never the first message
        assert (metadata["answered_by"], metadata["voicemail"]) == ("machine", "left_message")
        assert ("system", "Answered by a machine: voicemail message left") in lines, lines
        assert (events[-1]["answered_by"], events[-1]["voicemail"]) == ("machine", "left_message")
    else:
        print(f"voicemail hang-up: {hung_up - dialled:.1f} s from the dial to the BYE")
        assert not recorder.speech_spans(), heard  # the machine heard nothing of the agent
        assert (metadata["answered_by"], metadata["voicemail"]) == ("machine", "hung_up")
        assert ("system", "Answered by a machine: hung up") in lines, lines
        assert (events[-1]["answered_by"], events[-1]["voicemail"]) == ("machine", "hung_up")
        assert session["session"]["status"] != "active", session
    assert events[-1]["status"] == "completed", events


async def test_a_warm_transfer_briefs_the_person_then_bridges_them_with_the_caller(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    # Two phones: the callee of a dial-out (the caller of the transfer) and the person it is
    # transferred to. Each speaks a phrase of its own over and over from a few seconds on.
    loop = asyncio.get_running_loop()
    phones = {}
    for who, words, before_s in (
        ("caller", "Pineapple delivery.", 6),
        ("person", "Billing desk.", 9),
    ):
        workdir = tmp_path / who
        workdir.mkdir()
        spoken = flite_wav(" ".join([words] * 12), workdir / "speech16k.wav")
        transport, recorder = await loop.create_datagram_endpoint(
            RtpRecorder, local_addr=("127.0.0.1", 0)
        )
        audio = ulaw_wav(spoken, workdir / "speech.wav", before_s=before_s, after_s=20)
        phones[who] = (workdir, audio, transport, recorder)
    briefing = "I have a customer asking about a refund for a cake."
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=90) as api,
        answering_phone(
            phones["caller"][0],
            audio=phones["caller"][1],
            rtp_port=phones["caller"][2].get_extra_info("sockname")[1],
        ) as caller_phone,
        answering_phone(
            phones["person"][0],
            audio=phones["person"][1],
            rtp_port=phones["person"][2].get_extra_info("sockname")[1],
        ) as person_phone,
    ):
        call, person_trunk_id = await call_with_a_person_to_dial(
            stack, api, (caller_phone, "+14155550108"), (person_phone, "+14155550109")
        )
        sip_uri = await api.post(
            f"/api/v1/sessions/{call['session_id']}/transfer",
            json={"to": "sip:desk@127.0.0.1", "mode": "warm"},
        )
        transfer = {
            "to": "tel:+14155550188",
            "mode": "warm",
            "briefing": briefing,
            "trunk_id": person_trunk_id,
        }
        # The person's call is an outbound call too: the policy's cap refuses it when full.
        active = (await api.get("/api/v1/sip/policy")).json()["policy"]["active_calls"]
        policy = {"allowed_prefixes": ["+1"], "max_concurrent_calls": active}
        assert (await api.put("/api/v1/sip/policy", json=policy)).status_code == 200
        capped = await api.post(f"/api/v1/sessions/{call['session_id']}/transfer", json=transfer)
        policy["max_concurrent_calls"] = active + 1
        assert (await api.put("/api/v1/sip/policy", json=policy)).status_code == 200
        asked = loop.time()
        moved = await api.post(f"/api/v1/sessions/{call['session_id']}/transfer", json=transfer)
        bridged = loop.time()
        await asyncio.sleep(4)  # caller and person talk
        # ... counted until they hang up, though the session ended at the bridge
        talking = (await api.get("/api/v1/sip/policy")).json()["policy"]["active_calls"]
        await asyncio.sleep(5)
        policy.pop("max_concurrent_calls")
        assert (await api.put("/api/v1/sip/policy", json=policy)).status_code == 200
        listed = await participants_then_hang_up(stack, call["full_room_name"])
        present = {p.identity: p.kind for p in listed}
        results = [await caller_phone.result(), await person_phone.result()]
        events = await transfer_events(stack, call["full_room_name"])
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
        session = (await api.get(f"/api/v1/sessions/{call['session_id']}/detail")).json()
    for _, _, transport, _ in phones.values():
        transport.close()
    caller_heard, person_heard = phones["caller"][3], phones["person"][3]
    assert sip_uri.status_code == 409, sip_uri.text
    assert capped.status_code == 429, capped.text
    assert capped.json()["details"]["reason"] == "concurrent_calls", capped.text
    assert moved.status_code == 200, moved.text
    assert talking == active + 1, (active, talking)
    print(f"warm transfer: {bridged - asked:.1f} s from the request to the bridge")
    for result in results:
        assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    assert (session["session"]["status"], session["session"]["end_reason"]) == (
        "completed",
        "transferred",
    ), session["session"]
    # Only the two phones are left in the room: the agent left (and no other was sent).
    assert sorted(present.values()) == [lk.ParticipantInfo.Kind.SIP] * 2, present
    briefed = normalized(transcribe(person_heard.samples(until=bridged), RATE))
    assert "customer" in briefed and "delivery" not in briefed, briefed
    # Whisper is not steady on a few seconds of two voices: the bridge is told by the audio
    # that arrives once the agent is gone (its briefing ended before), the hold by silence.
    assert audible(person_heard, since=bridged + 1), "the person does not hear the caller"
    assert audible(caller_heard, since=bridged + 1), "the caller does not hear the person"
    assert not audible(caller_heard, since=asked + 1, until=bridged), "the hold is not silent"
    lines = [t["content"] for t in transcript["transcripts"] if t["speaker"] == "system"]
    assert lines[-4:] == [
        "Caller on hold for a warm transfer",
        "Warm transfer: the person answered and is being briefed",
        f"Supervisor had the agent say: {briefing}",
        "Call transferred (warm): caller and person connected",
    ], lines
    steps, person = steps_and_person(events)
    assert steps == ["on_hold", "briefing", "bridged"], events
    assert person == ["initiating", "ringing", "in_progress", "completed"], events


async def test_an_agents_warm_transfer_uses_its_targets_trunk_and_one_hang_up_ends_the_bridge(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    # The callee asks for billing after the greeting; the agent's warm target dials the person
    # through a trunk of its own (not the callee's), and the person hangs up 16 s after
    # answering, which must hang up the callee too.
    (tmp_path / "person").mkdir()
    asks = ulaw_wav(
        flite_wav("Can I speak to someone in billing, please?", tmp_path / "asks16k.wav"),
        tmp_path / "asks.wav",
        before_s=5,
        after_s=60,
    )
    desk = ulaw_wav(
        flite_wav("Billing desk. " * 8, tmp_path / "person" / "desk16k.wav"),
        tmp_path / "person" / "desk.wav",
        before_s=2,
        after_s=30,
    )
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=60) as api,
        answering_phone(tmp_path, audio=asks, rtp_port=free_port()) as caller_phone,
        answering_phone(
            tmp_path / "person",
            audio=desk,
            rtp_port=free_port(),
            scenario="answer_hang_up.xml",
            hang_up_after_ms=16_000,
        ) as person_phone,
    ):
        trunk_id = await carrier_to(api, caller_phone, "+14155550113")
        person_trunk_id = await carrier_to(api, person_phone, "+14155550114")
        target = {
            "name": "billing",
            "to": "tel:+14155550186",
            "description": "bills and refunds",
            "mode": "warm",
            "trunk_id": person_trunk_id,
        }
        agent = await api.post(
            "/api/v1/agents",
            json={
                "name": "Agent with a billing desk",
                "first_message": "Hello.",
                "phone": {
                    "transfer_targets": [target],
                    "transfer_message": "Putting you through to billing now.",
                },
            },
        )
        assert agent.status_code == 201, agent.text
        call = await dial(api, trunk_id, agent_config_id=agent.json()["id"])
        person_result = await person_phone.result(timeout_s=60)
        person_gone = asyncio.get_running_loop().time()
        caller_result = await caller_phone.result(timeout_s=30)
        caller_hung_up = asyncio.get_running_loop().time()
        session = await ended_session(api, call["session_id"])  # transferred at the bridge
        events = await transfer_events(stack, call["full_room_name"])
        own: list[str] = []
        for _ in range(50):
            own = [
                e["status"]
                for e in call_events(stack, call["full_room_name"])
                if not e.get("transfer")
            ]
            if own[-1:] == ["completed"]:
                break
            await asyncio.sleep(0.3)
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
    print(f"bridge hang-up: callee's BYE {caller_hung_up - person_gone:.1f} s after the person's")
    for result in (person_result, caller_result):
        assert result.returncode == 0, result.errors[-3000:] + result.messages[-3000:]
    assert "BYE sip:" in caller_result.messages  # hung up by the bridge, not by the test
    assert (session["session"]["status"], session["session"]["end_reason"]) == (
        "completed",
        "transferred",
    ), session["session"]
    lines = [(t["speaker"], t["content"]) for t in transcript["transcripts"]]
    assert ("agent", "Putting you through to billing now.") in lines, lines
    system = [content for speaker, content in lines if speaker == "system"]
    assert_bridged_until_hang_up(system, events, hung_up="the person")
    assert own[-1] == "completed", own  # the callee's own call


async def test_a_warm_transfer_nobody_answers_gives_the_caller_back_to_the_agent(
    stack: Stack, bridge: SipBridge, tmp_path: Path
) -> None:
    silence = silent_ulaw_wav(tmp_path / "silence.wav", 30)
    (tmp_path / "person").mkdir()
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=stack.headers, timeout=60) as api,
        answering_phone(tmp_path, audio=silence, rtp_port=free_port()) as caller_phone,
        answering_phone(
            tmp_path / "person", audio=silence, rtp_port=free_port(), scenario="busy.xml"
        ) as busy_phone,
    ):
        call, busy_trunk_id = await call_with_a_person_to_dial(
            stack, api, (caller_phone, "+14155550110"), (busy_phone, "+14155550111")
        )

        async def warm_transfer(after_s: float) -> httpx.Response:
            await asyncio.sleep(after_s)
            return await api.post(
                f"/api/v1/sessions/{call['session_id']}/transfer",
                json={"to": "tel:+14155550189", "mode": "warm", "trunk_id": busy_trunk_id},
            )

        # The busy phone rings 3 s: a second transfer meanwhile is refused at once.
        refused, second = await asyncio.gather(warm_transfer(0), warm_transfer(1))
        events = await transfer_events(stack, call["full_room_name"])
        listed = await participants_then_hang_up(stack, call["full_room_name"])
        await busy_phone.result()
        transcript = (await api.get(f"/api/v1/sessions/{call['session_id']}/transcript")).json()
    assert refused.status_code == 409, refused.text
    assert "did not answer" in refused.json()["error"], refused.text
    assert second.status_code == 409 and "under way" in second.json()["error"], second.text
    phones = [p for p in listed if p.kind == lk.ParticipantInfo.Kind.SIP]
    assert [p.permission.can_subscribe for p in phones] == [True], phones  # off hold
    assert any(p.kind == lk.ParticipantInfo.Kind.AGENT for p in listed)
    lines = [t["content"] for t in transcript["transcripts"] if t["speaker"] == "system"]
    assert lines[-2:] == [
        "Caller on hold for a warm transfer",
        "Warm transfer failed: the person did not answer",
    ], lines
    steps, person = steps_and_person(events)
    assert steps == ["on_hold", "returned"], events
    assert person == ["initiating", "ringing", "busy"], events
