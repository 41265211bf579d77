"""Trunks and phone lines through the API, checked against what real LiveKit (with Redis) holds."""

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from livekit import api as lk

from agent_worker.contracts import AGENT_NAME, DispatchMetadata
from tests.api.test_events_catalogue import events_of
from tests.services import LiveKit

pytestmark = pytest.mark.integration

NUMBER = "+442079460958"
OTHER_NUMBER = "+442079460959"


@pytest.fixture
async def livekit_api(livekit: LiveKit) -> AsyncIterator[lk.LiveKitAPI]:
    """LiveKit's own view, and a clean slate: its SIP objects outlive the per-test databases."""
    client = lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret)
    yield client
    for rule in (await client.sip.list_dispatch_rule(lk.ListSIPDispatchRuleRequest())).items:
        await client.sip.delete_dispatch_rule(
            lk.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule.sip_dispatch_rule_id)
        )
    inbound = (await client.sip.list_inbound_trunk(lk.ListSIPInboundTrunkRequest())).items
    outbound = (await client.sip.list_outbound_trunk(lk.ListSIPOutboundTrunkRequest())).items
    for trunk in [*inbound, *outbound]:
        await client.sip.delete_trunk(lk.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
    await client.aclose()


TRUNK = {
    "name": "carrier",
    "numbers": [NUMBER],
    "inbound": {
        "allowed_addresses": ["192.0.2.10", "198.51.100.0/24"],
        "auth_username": "carrier-user",
        "auth_password": "inbound-secret-pw",
    },
    "outbound": {
        "address": "sip.carrier.example:5060",
        "transport": "tcp",
        "auth_username": "out-user",
        "auth_password": "outbound-secret-pw",
    },
}


async def create_trunk(client, admin, body=TRUNK):  # type: ignore[no-untyped-def]
    response = await client.post("/api/v1/sip/trunks", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()["trunk"]


async def test_trunk_creates_livekit_trunks_and_never_returns_passwords(client, admin, livekit_api):
    response = await client.post("/api/v1/sip/trunks", json=TRUNK, headers=admin.headers)
    assert response.status_code == 201, response.text
    assert "secret-pw" not in response.text
    trunk = response.json()["trunk"]
    assert trunk["numbers"] == [NUMBER]
    assert trunk["inbound"] == {
        "allowed_addresses": ["192.0.2.10/32", "198.51.100.0/24"],
        "auth_username": "carrier-user",
    }
    assert trunk["outbound"]["transport"] == "tcp"

    (inbound,) = (
        await livekit_api.sip.list_inbound_trunk(
            lk.ListSIPInboundTrunkRequest(trunk_ids=[trunk["inbound_trunk_id"]])
        )
    ).items
    assert list(inbound.numbers) == [NUMBER]
    assert list(inbound.allowed_addresses) == ["192.0.2.10/32", "198.51.100.0/24"]
    assert inbound.auth_username == "carrier-user"
    (outbound,) = (
        await livekit_api.sip.list_outbound_trunk(
            lk.ListSIPOutboundTrunkRequest(trunk_ids=[trunk["outbound_trunk_id"]])
        )
    ).items
    assert outbound.address == "sip.carrier.example:5060"
    assert outbound.transport == lk.SIPTransport.SIP_TRANSPORT_TCP

    listed = await client.get("/api/v1/sip/trunks", headers=admin.headers)
    assert [t["id"] for t in listed.json()["trunks"]] == [trunk["id"]]
    fetched = await client.get(f"/api/v1/sip/trunks/{trunk['id']}", headers=admin.headers)
    assert fetched.json()["trunk"] == trunk
    assert "secret-pw" not in listed.text + fetched.text


async def test_trunk_update_reaches_livekit_and_delete_removes_it(client, admin, livekit_api):
    trunk = await create_trunk(client, admin)
    response = await client.patch(
        f"/api/v1/sip/trunks/{trunk['id']}",
        json={"name": "renamed", "numbers": [NUMBER, OTHER_NUMBER], "inbound": {}},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["trunk"]["inbound"] == {"allowed_addresses": [], "auth_username": None}
    (inbound,) = (
        await livekit_api.sip.list_inbound_trunk(
            lk.ListSIPInboundTrunkRequest(trunk_ids=[trunk["inbound_trunk_id"]])
        )
    ).items
    assert (inbound.name, list(inbound.numbers)) == ("renamed", [NUMBER, OTHER_NUMBER])
    assert (inbound.auth_username, list(inbound.allowed_addresses)) == ("", [])

    deleted = await client.delete(f"/api/v1/sip/trunks/{trunk['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/api/v1/sip/trunks/{trunk['id']}", headers=admin.headers)
    assert gone.status_code == 404
    remaining = await livekit_api.sip.list_inbound_trunk(lk.ListSIPInboundTrunkRequest())
    assert trunk["inbound_trunk_id"] not in {t.sip_trunk_id for t in remaining.items}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**TRUNK, "numbers": ["02079460958"]}, "numbers.0"),
        ({**TRUNK, "numbers": [NUMBER, NUMBER]}, "body"),
        ({"name": "x", "numbers": [NUMBER]}, "body"),
        ({**TRUNK, "inbound": {"allowed_addresses": ["not-an-ip"]}}, "inbound.allowed_addresses.0"),
        ({**TRUNK, "inbound": {"auth_username": "only"}}, "inbound"),
        ({**TRUNK, "surprise": 1}, "surprise"),
    ],
)
async def test_invalid_trunks_are_refused_before_livekit(client, admin, livekit_api, body, field):
    response = await client.post("/api/v1/sip/trunks", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "INVALID_REQUEST"
    assert response.json()["details"]["field"] == field
    assert not (await livekit_api.sip.list_inbound_trunk(lk.ListSIPInboundTrunkRequest())).items


async def test_another_projects_trunk_is_not_found(client, admin, make_key, livekit_api):
    trunk = await create_trunk(client, admin)
    other = await make_key("globex")
    response = await client.get(f"/api/v1/sip/trunks/{trunk['id']}", headers=other.headers)
    assert response.status_code == 404
    assert (await client.get("/api/v1/sip/trunks", headers=other.headers)).json()["total"] == 0


async def create_agent(client, admin, max_duration_s=1800):  # type: ignore[no-untyped-def]
    response = await client.post(
        "/api/v1/agents",
        json={"name": "Front desk", "max_duration_s": max_duration_s},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def signed(livekit: LiveKit, payload: dict) -> tuple[bytes, dict[str, str]]:
    """A LiveKit webhook as livekit-server signs it."""
    body = json.dumps(payload).encode()
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    token = (
        lk.AccessToken(livekit.api_key, livekit.api_secret)
        .with_sha256(digest)
        .with_ttl(timedelta(minutes=5))
        .to_jwt()
    )
    return body, {"Authorization": token, "Content-Type": "application/webhook+json"}


async def phone_participant(client, livekit, event: str, room: str, **participant):  # type: ignore[no-untyped-def]
    payload = {
        "event": event,
        "id": f"EV_{event}_{room}",
        "room": {"name": room},
        "participant": {"identity": "sip_+14155550100", "kind": "SIP", **participant},
    }
    body, headers = signed(livekit, payload)
    response = await client.post("/internal/v1/livekit/webhook", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def test_a_call_on_a_phone_line_opens_a_sip_session_and_dispatches_the_agent(
    client, admin, livekit, livekit_api, settings
):  # type: ignore[no-untyped-def]
    trunk = await create_trunk(client, admin)
    agent_id = await create_agent(client, admin, max_duration_s=1800)
    targets = {"transfer_targets": [{"name": "sales", "to": "tel:+14155550111"}]}
    patched = await client.patch(
        f"/api/v1/agents/{agent_id}", json={"phone": targets}, headers=admin.headers
    )
    assert patched.status_code == 200, patched.text
    response = await client.post(
        "/api/v1/sip/configs",
        json={
            "name": "Support line",
            "phone_number": NUMBER,
            "agent_config_id": agent_id,
            "max_call_duration": 300,
            "record": True,
            "dtmf_enabled": False,
        },
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    line = response.json()["config"]
    assert (line["phone_number"], line["trunk_id"]) == (NUMBER, trunk["id"])

    (rule,) = (await livekit_api.sip.list_dispatch_rule(lk.ListSIPDispatchRuleRequest())).items
    assert rule.sip_dispatch_rule_id == line["dispatch_rule_id"]
    assert list(rule.trunk_ids) == [trunk["inbound_trunk_id"]]
    assert list(rule.numbers) == [NUMBER]
    room_prefix = rule.rule.dispatch_rule_individual.room_prefix
    assert room_prefix.endswith("_sip")
    # The rule only opens the call's room: the agent is dispatched per call, with its session.
    assert not rule.room_config.agents

    # livekit-sip puts the caller in a fresh room, as the rule names it.
    room = f"{room_prefix}_+14155550100_a1b2c3"
    await livekit_api.room.create_room(lk.CreateRoomRequest(name=room))
    attributes = {
        "sip.ruleID": rule.sip_dispatch_rule_id,
        "sip.phoneNumber": "+14155550100",
        "sip.trunkPhoneNumber": NUMBER,
    }
    await phone_participant(client, livekit, "participant_joined", room, attributes=attributes)
    await phone_participant(client, livekit, "participant_joined", room, attributes=attributes)

    listed = await client.get(
        "/api/v1/sessions", params={"session_type": "sip"}, headers=admin.headers
    )
    (session,) = listed.json()["sessions"]  # the redelivered webhook started nothing more
    assert (session["room_name"], session["agent_config_id"]) == (room, agent_id)
    assert session["caller_identity"] == "sip_+14155550100"
    assert session["metadata"]["caller_number"] == "+14155550100"
    assert session["metadata"]["callee_number"] == NUMBER
    dispatches = await livekit_api.agent_dispatch.list_dispatch(room)
    # (LiveKit also lists the room's unnamed default dispatch.)
    dispatch = next(d for d in dispatches if d.agent_name == AGENT_NAME)
    metadata = DispatchMetadata.model_validate_json(dispatch.metadata)
    assert metadata.session_id == session["id"] and metadata.report_token
    assert (metadata.project_id, metadata.agent_id) == (admin.project_id, agent_id)
    assert metadata.agent.max_duration_s == 300  # the line caps the agent's own 1800 s
    assert metadata.agent.privacy.record_audio is True
    assert metadata.agent.phone.dtmf is False  # the line has no keypad
    assert metadata.agent.phone.voicemail.detect is False  # a caller is no answering machine

    # The agent's transfer tool names a target of its config; the number never comes from it.
    worker = {"Authorization": f"Bearer {metadata.report_token}"}
    transfer = f"/internal/v1/sessions/{session['id']}/transfer"
    unknown = await client.post(transfer, json={"target": "billing"}, headers=worker)
    assert unknown.status_code == 404, unknown.text
    # The target is known; no phone is in the room (no bridge here), so nothing to refer.
    no_phone = await client.post(transfer, json={"target": "sales"}, headers=worker)
    assert no_phone.status_code == 409, no_phone.text
    other = await client.post(
        "/internal/v1/sessions/ses_other/transfer", json={"target": "sales"}, headers=worker
    )
    assert other.status_code == 404
    answered = await client.post(
        f"/internal/v1/sessions/{session['id']}/answered",
        json={"answered_by": "human"},
        headers=worker,
    )
    assert answered.status_code == 204, answered.text
    detail = await client.get(f"/api/v1/sessions/{session['id']}/detail", headers=admin.headers)
    assert detail.json()["session"]["metadata"]["answered_by"] == "human"

    await phone_participant(
        client, livekit, "participant_left", room, disconnect_reason="CLIENT_INITIATED"
    )
    statuses = [
        (e.data["status"], e.session_id)
        for e in await events_of(settings.database_url, admin.project_id)
        if e.event_type == "call.status"
    ]
    # Never answered (no bridge here saw it go active): the caller hung up while it rang.
    assert statuses == [("ringing", session["id"]), ("completed", session["id"])]
    await livekit_api.room.delete_room(lk.DeleteRoomRequest(room=room))


async def test_phone_line_refusals(client, admin, livekit_api):
    await create_trunk(client, admin)
    agent_id = await create_agent(client, admin)
    body = {"name": "Line", "phone_number": NUMBER, "agent_config_id": agent_id}

    not_ours = await client.post(
        "/api/v1/sip/configs", json={**body, "phone_number": OTHER_NUMBER}, headers=admin.headers
    )
    assert not_ours.status_code == 404  # no trunk of the project carries it
    assert not_ours.json()["details"]["field"] == "phone_number"
    no_agent = await client.post(
        "/api/v1/sip/configs",
        json={**body, "agent_config_id": "agt_missing"},
        headers=admin.headers,
    )
    assert no_agent.status_code == 404
    assert (await client.post("/api/v1/sip/configs", json=body, headers=admin.headers)).is_success
    twice = await client.post("/api/v1/sip/configs", json=body, headers=admin.headers)
    assert twice.status_code == 409
    rules = (await livekit_api.sip.list_dispatch_rule(lk.ListSIPDispatchRuleRequest())).items
    assert len(rules) == 1
