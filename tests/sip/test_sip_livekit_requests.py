import pytest
from livekit import api as lk

from sip import SipError
from sip.livekit_requests import (
    InboundTrunk,
    OutboundCall,
    OutboundTrunk,
    PhoneLine,
    dispatch_rule_request,
    inbound_trunk_request,
    outbound_trunk_request,
    participant_request,
)

pytestmark = pytest.mark.unit


def test_inbound_trunk_carries_numbers_sources_and_credentials() -> None:
    request = inbound_trunk_request(
        InboundTrunk(
            name="main",
            numbers=("+442079460958",),
            allowed_addresses=("10.0.0.7", "192.0.2.0/24"),
            auth_username="carrier",
            auth_password="pw",
        )
    )
    assert list(request.trunk.numbers) == ["+442079460958"]
    assert list(request.trunk.allowed_addresses) == ["10.0.0.7/32", "192.0.2.0/24"]
    assert (request.trunk.auth_username, request.trunk.auth_password) == ("carrier", "pw")


def test_half_credentials_are_refused() -> None:
    with pytest.raises(SipError):
        inbound_trunk_request(InboundTrunk(name="x", numbers=(), auth_username="only"))


def test_bad_source_address_names_the_field() -> None:
    with pytest.raises(SipError) as caught:
        inbound_trunk_request(InboundTrunk(name="x", numbers=(), allowed_addresses=("nope",)))
    assert caught.value.details["field"] == "allowed_addresses"


def test_outbound_trunk_maps_the_transport() -> None:
    request = outbound_trunk_request(
        OutboundTrunk(
            name="out", numbers=("+14155550123",), address="sip.example:5061", transport="tls"
        )
    )
    assert request.trunk.transport == lk.SIPTransport.SIP_TRANSPORT_TLS
    assert request.trunk.address == "sip.example:5061"


def test_phone_line_rule_matches_one_number_on_one_trunk_and_dispatches_the_agent() -> None:
    line = PhoneLine(
        name="support",
        trunk_id="ST_1",
        phone_number="+442079460958",
        room_prefix="p1234_sip_",
        agent_name="voxroom-agent",
        agent_metadata='{"agent": {}}',
    )
    rule = dispatch_rule_request(line).dispatch_rule
    assert list(rule.trunk_ids) == ["ST_1"]
    assert list(rule.numbers) == ["+442079460958"]
    assert rule.rule.dispatch_rule_individual.room_prefix == "p1234_sip_"
    (agent,) = rule.room_config.agents
    assert (agent.agent_name, agent.metadata) == ("voxroom-agent", '{"agent": {}}')


def test_phone_line_rule_without_an_agent_only_opens_the_room() -> None:
    line = PhoneLine(
        name="support", trunk_id="ST_1", phone_number="+442079460958", room_prefix="p_sip"
    )
    rule = dispatch_rule_request(line).dispatch_rule
    assert not rule.HasField("room_config")


def test_outbound_call_request() -> None:
    request = participant_request(
        OutboundCall(
            trunk_id="ST_2",
            to_number="+14155550123",
            from_number="+14155550100",
            room_name="p1_call",
            participant_identity="phone",
            max_call_duration_s=300,
        )
    )
    assert (request.sip_call_to, request.sip_number) == ("+14155550123", "+14155550100")
    assert request.max_call_duration.seconds == 300
    assert request.ringing_timeout.seconds == 30
