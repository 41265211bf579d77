"""`POST /sip/dial` refusals: the dialling policy decides before any INVITE (no livekit-sip is
running here, so a call that got past the policy would fail with 503 instead)."""

import pytest

from api.projects.schemas import Scope

pytestmark = pytest.mark.integration

US_NUMBER = "+14155550123"
OUTBOUND_TRUNK = {
    "name": "carrier",
    "numbers": ["+14155550100"],
    "outbound": {"address": "sip.carrier.example", "transport": "udp"},
}


async def set_policy(client, admin, **policy):  # type: ignore[no-untyped-def]
    response = await client.put("/api/v1/sip/policy", json=policy, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()["policy"]


async def dial(client, admin, number=US_NUMBER):  # type: ignore[no-untyped-def]
    return await client.post(
        "/api/v1/sip/dial", json={"phone_number": number}, headers=admin.headers
    )


async def test_a_project_without_a_policy_calls_nowhere(client, admin):
    response = await dial(client, admin)
    assert response.status_code == 409, response.text
    assert response.json()["details"]["reason"] == "country_not_allowed"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("+442079460958", "country_not_allowed"),
        ("+19005550123", "premium_rate"),
        ("+19995550123", "invalid_number"),
    ],
)
async def test_destinations_outside_the_policy_are_refused(client, admin, number, reason):
    await set_policy(client, admin, allowed_prefixes=["+1"])
    response = await dial(client, admin, number)
    # A conflict with the project's policy, not a malformed field.
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "CONFLICT"
    assert response.json()["details"]["reason"] == reason
    assert number not in response.text  # numbers stay out of error bodies


async def test_concurrent_call_cap_refuses_with_429_before_any_invite(client, admin):
    await client.post("/api/v1/sip/trunks", json=OUTBOUND_TRUNK, headers=admin.headers)
    await set_policy(client, admin, allowed_prefixes=["+1"], max_concurrent_calls=0)
    response = await dial(client, admin)
    assert response.status_code == 429, response.text
    assert response.json()["details"] == {"reason": "concurrent_calls", "limit": 0}


async def test_a_dial_needs_an_outbound_trunk(client, admin):
    await set_policy(client, admin, allowed_prefixes=["+1"])
    response = await dial(client, admin)
    assert response.status_code == 404, response.text
    assert response.json()["details"]["field"] == "trunk_id"


async def test_policy_caps_are_bounded_by_the_operator_and_need_an_admin_key(
    client, admin, make_key
):
    policy = await set_policy(
        client, admin, allowed_prefixes=["+1", "+44", "+1"], max_concurrent_calls=10_000
    )
    assert policy["allowed_prefixes"] == ["+1", "+44"]
    assert policy["max_concurrent_calls"] == 5  # VOXROOM_SIP_MAX_CONCURRENT_OUTBOUND_CALLS
    assert (policy["active_calls"], policy["minutes_today"]) == (0, 0)
    writer = await make_key("acme", Scope.WRITE)
    refused = await client.put(
        "/api/v1/sip/policy", json={"allowed_prefixes": ["+8"]}, headers=writer.headers
    )
    assert refused.status_code == 403
    shown = await client.get("/api/v1/sip/policy", headers=writer.headers)
    assert shown.json()["policy"]["allowed_prefixes"] == ["+1", "+44"]


@pytest.mark.parametrize(
    "body",
    [
        {"phone_number": "14155550123"},
        {"phone_number": US_NUMBER, "max_duration": 5},
        {"phone_number": US_NUMBER, "surprise": True},
        {"phone_number": US_NUMBER, "voicemail": {"action": "shout"}},
    ],
)
async def test_malformed_dial_requests_are_422(client, admin, body):
    response = await client.post("/api/v1/sip/dial", json=body, headers=admin.headers)
    assert response.status_code == 422, response.text
