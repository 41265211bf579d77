"""LiveKit SIP API requests: trunks, dispatch rules and outbound calls.

Requests only; sending them is the caller's job (the control plane holds the API client).
Numbers must already be normalized E.164 (see `sip.numbers`).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Literal

from google.protobuf.duration_pb2 import Duration
from livekit import api as lk

from sip.errors import SipError

Transport = Literal["udp", "tcp", "tls"]

_TRANSPORTS = {
    "udp": lk.SIPTransport.SIP_TRANSPORT_UDP,
    "tcp": lk.SIPTransport.SIP_TRANSPORT_TCP,
    "tls": lk.SIPTransport.SIP_TRANSPORT_TLS,
}


@dataclass(frozen=True)
class InboundTrunk:
    name: str
    numbers: tuple[str, ...]
    allowed_addresses: tuple[str, ...] = ()
    """CIDRs or single addresses the carrier sends from; empty accepts any source."""
    auth_username: str = ""
    auth_password: str = ""


@dataclass(frozen=True)
class OutboundTrunk:
    name: str
    numbers: tuple[str, ...]
    address: str
    """The carrier's SIP host[:port]."""
    transport: Transport = "udp"
    auth_username: str = ""
    auth_password: str = ""


def normalize_cidr(text: str, *, field: str = "allowed_addresses") -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError as exc:
        raise SipError("Not an IP address or CIDR range", field=field) from exc


def inbound_trunk_request(trunk: InboundTrunk) -> lk.CreateSIPInboundTrunkRequest:
    if bool(trunk.auth_username) != bool(trunk.auth_password):
        raise SipError("Digest credentials need both a username and a password", field="inbound")
    return lk.CreateSIPInboundTrunkRequest(
        trunk=lk.SIPInboundTrunkInfo(
            name=trunk.name,
            numbers=list(trunk.numbers),
            allowed_addresses=[normalize_cidr(a) for a in trunk.allowed_addresses],
            auth_username=trunk.auth_username,
            auth_password=trunk.auth_password,
        )
    )


def outbound_trunk_request(trunk: OutboundTrunk) -> lk.CreateSIPOutboundTrunkRequest:
    if bool(trunk.auth_username) != bool(trunk.auth_password):
        raise SipError("Digest credentials need both a username and a password", field="outbound")
    return lk.CreateSIPOutboundTrunkRequest(
        trunk=lk.SIPOutboundTrunkInfo(
            name=trunk.name,
            numbers=list(trunk.numbers),
            address=trunk.address,
            transport=_TRANSPORTS[trunk.transport],
            auth_username=trunk.auth_username,
            auth_password=trunk.auth_password,
        )
    )


@dataclass(frozen=True)
class PhoneLine:
    """A number on an inbound trunk whose calls each get their own room and an agent."""

    name: str
    trunk_id: str
    """LiveKit's inbound trunk id."""
    phone_number: str
    room_prefix: str
    """Every call gets a fresh room named with this prefix (the project's prefix first)."""
    agent_name: str = ""
    """An agent the rule itself dispatches; empty when the control plane dispatches one per
    call (it alone can give each call its own session)."""
    agent_metadata: str = ""
    """The dispatch metadata that agent receives."""
    max_call_duration_s: int = 0
    """0 = no limit beyond the agent's own."""


def dispatch_rule_request(line: PhoneLine) -> lk.CreateSIPDispatchRuleRequest:
    return lk.CreateSIPDispatchRuleRequest(dispatch_rule=dispatch_rule_info(line))


def dispatch_rule_info(line: PhoneLine) -> lk.SIPDispatchRuleInfo:
    """The rule matches calls to exactly this number on exactly this trunk, so two lines on
    one trunk never conflict."""
    info = lk.SIPDispatchRuleInfo(
        name=line.name,
        trunk_ids=[line.trunk_id],
        numbers=[line.phone_number],
        rule=lk.SIPDispatchRule(
            dispatch_rule_individual=lk.SIPDispatchRuleIndividual(room_prefix=line.room_prefix)
        ),
    )
    if line.agent_name:
        info.room_config.CopyFrom(
            lk.RoomConfiguration(
                agents=[
                    lk.RoomAgentDispatch(agent_name=line.agent_name, metadata=line.agent_metadata)
                ]
            )
        )
    return info


@dataclass(frozen=True)
class OutboundCall:
    trunk_id: str
    """LiveKit's outbound trunk id."""
    to_number: str
    from_number: str
    room_name: str
    participant_identity: str
    ringing_timeout_s: int = 30
    max_call_duration_s: int = 0


def participant_request(call: OutboundCall) -> lk.CreateSIPParticipantRequest:
    request = lk.CreateSIPParticipantRequest(
        sip_trunk_id=call.trunk_id,
        sip_call_to=call.to_number,
        sip_number=call.from_number,
        room_name=call.room_name,
        participant_identity=call.participant_identity,
        participant_name="Phone",
        ringing_timeout=Duration(seconds=call.ringing_timeout_s),
        wait_until_answered=False,
    )
    if call.max_call_duration_s:
        request.max_call_duration.CopyFrom(Duration(seconds=call.max_call_duration_s))
    return request
