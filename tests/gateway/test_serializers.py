"""Carrier wire formats: what a client sends becomes audio and events, what the call does
becomes the client's messages."""

from __future__ import annotations

import base64
import io
import json
import wave

import msgspec
import numpy as np
import pytest

from gateway.contracts import (
    CLOSE_AGENT_NOT_FOUND,
    CLOSE_RATE_LIMITED,
    CLOSE_UNAUTHORIZED,
    CLOSE_UNAVAILABLE,
    GatewayCall,
    GatewayCallRequest,
    close_code_for_status,
)
from gateway.serializers import (
    Audio,
    Dtmf,
    Hangup,
    PlainSerializer,
    ProtocolError,
    Start,
    TwilioSerializer,
)
from gateway.serializers.twilio import pcm16_to_ulaw

pytestmark = pytest.mark.unit

CALL = GatewayCall(
    session_id="ses_1",
    history_key="hk_1",
    agent_name="Bluebird",
    livekit_url="ws://127.0.0.1:7880",
    room="p_room",
    token="jwt",
    max_duration_s=60,
)


def tone(rate: int, ms: int) -> bytes:
    t = np.arange(rate * ms // 1000) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).tobytes()


def test_plain_audio_keeps_a_sample_split_across_two_messages() -> None:
    serializer = PlainSerializer()
    first = serializer.decode(b"\x01\x02\x03")
    second = serializer.decode(b"\x04\x05")
    assert first == Audio(b"\x01\x02")
    assert second == Audio(b"\x03\x04")
    assert serializer.decode(b"") is None


def test_plain_refuses_text_messages() -> None:
    with pytest.raises(ProtocolError) as caught:
        PlainSerializer().decode('{"type":"hello"}')
    assert caught.value.close_code == 1003


def test_plain_sends_standalone_wavs_then_audio_end() -> None:
    serializer = PlainSerializer(chunk_ms=100)
    pcm = tone(16_000, 150)
    out = serializer.agent_audio(pcm)
    assert len(out) == 1 and isinstance(out[0], bytes)
    with wave.open(io.BytesIO(out[0])) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16_000, 1, 2)
        assert wav.readframes(wav.getnframes()) == pcm
    assert serializer.agent_audio(tone(16_000, 50)) == []
    end = serializer.utterance_end()
    assert isinstance(end[0], bytes) and json.loads(end[1]) == {"type": "audioEnd"}
    assert serializer.utterance_end() == ['{"type":"audioEnd"}']


def test_plain_barge_in_drops_buffered_audio() -> None:
    serializer = PlainSerializer(chunk_ms=100)
    assert serializer.agent_audio(tone(16_000, 50)) == []
    assert [json.loads(m) for m in serializer.barge_in()] == [{"type": "audioStop"}]
    assert serializer.utterance_end() == ['{"type":"audioEnd"}']


def test_plain_mp3_messages_are_mp3() -> None:
    serializer = PlainSerializer("mp3", chunk_ms=100)
    out = serializer.agent_audio(tone(16_000, 200))
    assert isinstance(out[0], bytes) and out[0][:2] in (b"\xff\xf3", b"\xff\xf2", b"\xff\xfb")


def test_plain_control_messages_follow_the_api() -> None:
    serializer = PlainSerializer()
    assert json.loads(serializer.connected(CALL)[0]) == {
        "type": "connected",
        "sessionId": "ses_1",
        "historyKey": "hk_1",
        "agentName": "Bluebird",
    }
    assert json.loads(serializer.transcript("user", "hi", False)[0]) == {
        "type": "transcript",
        "role": "user",
        "text": "hi",
        "isFinal": False,
    }
    assert json.loads(serializer.error("nope")[0]) == {"type": "error", "message": "nope"}


def twilio_start(ticket: str = "tkt_1") -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "start": {
                "accountSid": "AC1",
                "streamSid": "MZ1",
                "callSid": "CA1",
                "tracks": ["inbound"],
                "customParameters": {"ticket": ticket, "from": "+15550100"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
            "streamSid": "MZ1",
        }
    )


def test_twilio_start_carries_the_ticket_and_call() -> None:
    serializer = TwilioSerializer()
    assert serializer.decode('{"event":"connected","protocol":"Call","version":"1.0.0"}') is None
    start = serializer.decode(twilio_start())
    assert isinstance(start, Start)
    assert (start.ticket, start.call_sid, start.stream_sid) == ("tkt_1", "CA1", "MZ1")
    assert start.parameters["from"] == "+15550100"


def test_twilio_media_is_mulaw_both_ways() -> None:
    serializer = TwilioSerializer()
    serializer.decode(twilio_start())
    pcm = tone(8_000, 20)
    payload = base64.b64encode(pcm16_to_ulaw(pcm)).decode()
    media = {
        "event": "media",
        "streamSid": "MZ1",
        "media": {"track": "inbound", "chunk": "1", "timestamp": "5", "payload": payload},
    }
    audio = serializer.decode(json.dumps(media))
    assert isinstance(audio, Audio) and len(audio.pcm) == len(pcm)
    error = np.abs(np.frombuffer(audio.pcm, np.int16) - np.frombuffer(pcm, np.int16).astype(int))
    assert error.max() < 300  # μ-law's quantisation step at this level
    out = json.loads(serializer.agent_audio(pcm)[0])
    assert out["event"] == "media" and out["streamSid"] == "MZ1"
    assert len(base64.b64decode(out["media"]["payload"])) == len(pcm) // 2


def test_twilio_barge_in_clears_and_utterances_end_with_a_mark() -> None:
    serializer = TwilioSerializer()
    serializer.decode(twilio_start())
    assert json.loads(serializer.barge_in()[0]) == {"event": "clear", "streamSid": "MZ1"}
    mark = json.loads(serializer.utterance_end()[0])
    assert mark["event"] == "mark" and mark["mark"]["name"]
    assert serializer.transcript("agent", "hello", True) == []


def test_twilio_dtmf_and_stop() -> None:
    serializer = TwilioSerializer()
    dtmf = {
        "event": "dtmf",
        "streamSid": "MZ1",
        "sequenceNumber": "5",
        "dtmf": {"track": "inbound_track", "digit": "7"},
    }
    assert serializer.decode(json.dumps(dtmf)) == Dtmf("7")
    assert serializer.decode('{"event":"stop","streamSid":"MZ1","stop":{"callSid":"CA1"}}') == (
        Hangup()
    )


@pytest.mark.parametrize(
    "message",
    [
        b"\x00\x01",
        "not json",
        "[1, 2]",
        '{"event":"media","media":{"payload":"***"}}',
        '{"event":"surprise"}',
        '{"event":"start","start":{"mediaFormat":{"encoding":"audio/l16","sampleRate":16000}}}',
    ],
)
def test_twilio_refuses_what_media_streams_never_send(message: str | bytes) -> None:
    with pytest.raises(ProtocolError):
        TwilioSerializer().decode(message)


def test_close_codes_follow_the_control_planes_answer() -> None:
    assert close_code_for_status(401) == CLOSE_UNAUTHORIZED
    assert close_code_for_status(404) == CLOSE_AGENT_NOT_FOUND
    assert close_code_for_status(429) == CLOSE_RATE_LIMITED
    assert close_code_for_status(409) == CLOSE_RATE_LIMITED
    assert close_code_for_status(503) == CLOSE_UNAVAILABLE
    assert close_code_for_status(0) == CLOSE_UNAVAILABLE


def test_call_request_refuses_unknown_fields() -> None:
    body = b'{"transport":"websocket","gateway_id":"g","ticket":"t","extra":1}'
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(body, type=GatewayCallRequest)
