"""Twilio calls: the voice webhook answers TwiML with a one-time stream ticket (its signature
checked when an auth token is set), and the call starts when the gateway connects the stream,
as a `twilio` session with the caller's numbers and `call.status` events."""

from xml.etree import ElementTree

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from api.voice.twilio import signature
from tests.api.test_events_catalogue import events_of
from tests.api.test_voice_sessions import GATEWAY, app, client, make_agent, voice_settings
from tests.services import served

pytestmark = pytest.mark.integration

__all__ = ["app", "client", "voice_settings"]  # fixtures shared with the seed-000 tests

FORM = {"CallSid": "CA0123", "From": "+14155550100", "To": "+14155550199", "AccountSid": "AC1"}


def stream_of(twiml):
    root = ElementTree.fromstring(twiml)  # noqa: S314 - our own TwiML, not untrusted
    stream = root.find("./Connect/Stream")
    parameters = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    return stream.get("url"), parameters


async def test_a_twilio_call_streams_to_the_gateway_and_becomes_a_twilio_session(
    client, admin, voice_settings
):
    await make_agent(client, admin.headers)
    answered = await client.post(f"/api/v1/twilio/voice?api_key={admin.api_key}", data=FORM)
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("application/xml")
    assert admin.api_key not in answered.text
    url, parameters = stream_of(answered.text)
    assert url == "ws://127.0.0.1:8090/ws/twilio/stream"

    call = await client.post(
        "/internal/v1/gateway/calls",
        json={
            "ticket": parameters["ticket"],
            "transport": "twilio",
            "gateway_id": "gw-1",
            "call_sid": "CA0123",
            "stream_sid": "MZ1",
        },
        headers=GATEWAY,
    )
    assert call.status_code == 201, call.text
    session_id = call.json()["session_id"]
    session = (await client.get(f"/api/v1/sessions/{session_id}", headers=admin.headers)).json()[
        "session"
    ]
    assert session["session_type"] == "twilio"
    assert session["metadata"]["caller_number"] == "+14155550100"
    assert session["metadata"]["callee_number"] == "+14155550199"
    ended = await client.post(
        f"/internal/v1/gateway/calls/{session_id}/end",
        json={"reason": "caller_hangup"},
        headers=GATEWAY,
    )
    assert ended.status_code == 204
    events = await events_of(voice_settings.database_url, admin.project_id)
    statuses = [e.data["status"] for e in events if e.event_type == "call.status"]
    assert statuses == ["in_progress", "completed"]

    no_key = await client.post("/api/v1/twilio/voice", data=FORM)
    assert no_key.status_code == 401


async def test_with_an_auth_token_only_twilio_signed_webhooks_are_answered(
    voice_settings, make_key
):
    key = await make_key("signed")
    settings = voice_settings.model_copy(
        update={"twilio_auth_token": SecretStr("twilio-auth-token")}
    )
    async with served(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        await make_agent(client, key.headers)
        path = f"/api/v1/twilio/voice?api_key={key.api_key}"
        unsigned = await client.post(path, data=FORM)
        assert unsigned.status_code == 403
        good = signature("twilio-auth-token", f"{base}{path}", FORM.items())
        forged = await client.post(
            path, data={**FORM, "From": "+1999"}, headers={"X-Twilio-Signature": good}
        )
        assert forged.status_code == 403
        signed = await client.post(path, data=FORM, headers={"X-Twilio-Signature": good})
        assert signed.status_code == 200, signed.text
