"""Wire models of the telephony API: trunks, phone lines (`/sip/configs`) and the dialling
policy. Field docstrings are their descriptions in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar.params import PathParameter
from pydantic import AfterValidator, ConfigDict, Field, SecretStr, model_validator

from api.pagination import Paginated
from api.schemas import RequestBody, ResponseBody
from sip import SipError
from sip.livekit_requests import normalize_cidr

TrunkId = Annotated[str, PathParameter(description="The trunk's id (`trk_...`)")]
PhoneLineId = Annotated[str, PathParameter(description="The phone line's id (`sipl_...`)")]


def _cidr(value: str) -> str:
    # The pattern admits only what `normalize_cidr` accepts; this only canonicalizes.
    try:
        return normalize_cidr(value)
    except SipError as exc:
        raise ValueError(exc.message) from exc


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
# Numbers are checked by their documented pattern only: whether a carrier's number is
# "valid" is the carrier's business; the dialling policy judges numbers it calls.
E164 = Annotated[
    str,
    Field(
        pattern=r"^\+[1-9][0-9]{1,14}$",
        description="A phone number in E.164 form, e.g. +14155550123",
        examples=["+14155550123"],
    ),
]
Cidr = Annotated[
    str,
    Field(
        pattern=rf"^{_OCTET}(\.{_OCTET}){{3}}(/([0-9]|[12][0-9]|3[0-2]))?$",
        description="An IPv4 address or CIDR range, e.g. 203.0.113.0/24",
        examples=["203.0.113.0/24"],
    ),
    AfterValidator(_cidr),
]
Username = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[!-~]+$")]
Password = Annotated[SecretStr, Field(min_length=1, max_length=128)]
Name = Annotated[str, Field(min_length=1, max_length=100)]
SipAddress = Annotated[
    str,
    Field(
        min_length=1,
        max_length=255,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$",
        examples=["sip.carrier.example:5060"],
    ),
]


def _given(field: str) -> dict[str, Any]:
    return {"required": [field], "properties": {field: {"type": "string"}}}


def _only_one_of(first: str, second: str) -> dict[str, Any]:
    """JSON Schema for "exactly one of the two given" (null counts as not given)."""
    return {
        "anyOf": [
            {"allOf": [_given(first), {"not": _given(second)}]},
            {"allOf": [_given(second), {"not": _given(first)}]},
        ]
    }


class _Credentials(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"not": _only_one_of("auth_username", "auth_password")}
    )

    auth_username: Username | None = None
    """Digest username; set together with `auth_password`."""
    auth_password: Password | None = None
    """Digest password; sent to LiveKit, never stored or returned."""

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Credentials:
        if (self.auth_username is None) != (self.auth_password is None):
            raise ValueError("auth_username and auth_password go together")
        return self

    def password(self) -> str:
        return self.auth_password.get_secret_value() if self.auth_password else ""


class InboundSpec(_Credentials):
    """Calls from the carrier: accepted only from these source addresses (empty: any) and,
    when set, only with these digest credentials."""

    allowed_addresses: list[Cidr] = Field(default_factory=list, max_length=50)
    """Source addresses or CIDR ranges the carrier calls from; empty accepts any."""


class OutboundSpec(_Credentials):
    """Calls to the carrier."""

    address: SipAddress
    """The carrier's SIP host[:port]."""
    transport: Literal["udp", "tcp", "tls"] = "udp"
    """SIP transport towards the carrier."""


class TrunkCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["inbound"], "properties": {"inbound": {"type": "object"}}},
                {"required": ["outbound"], "properties": {"outbound": {"type": "object"}}},
            ],
            "examples": [
                {
                    "name": "Carrier",
                    "numbers": ["+442079460958"],
                    "inbound": {"allowed_addresses": ["203.0.113.0/24"]},
                    "outbound": {"address": "sip.carrier.example:5060", "transport": "udp"},
                }
            ],
        }
    )

    name: Name
    """A name for people."""
    numbers: list[E164] = Field(
        min_length=1, max_length=50, json_schema_extra={"uniqueItems": True}
    )
    """The numbers the carrier routes to this trunk, and that calls out may show."""
    inbound: InboundSpec | None = None
    """Take calls from the carrier."""
    outbound: OutboundSpec | None = None
    """Place calls through the carrier."""

    @model_validator(mode="after")
    def _one_direction(self) -> TrunkCreate:
        if self.inbound is None and self.outbound is None:
            raise ValueError("a trunk needs inbound, outbound or both")
        if len(set(self.numbers)) != len(self.numbers):
            raise ValueError("numbers must be unique")
        return self


class TrunkUpdate(RequestBody):
    """Partial update. `inbound` / `outbound`, when given, replace that side whole
    (credentials left out are removed); a side the trunk lacks is added."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Main carrier"}]})

    name: Name | None = None
    """A name for people."""
    numbers: list[E164] | None = Field(
        default=None, min_length=1, max_length=50, json_schema_extra={"uniqueItems": True}
    )
    """The trunk's numbers; refused (409) while a phone line uses one that would go."""
    inbound: InboundSpec | None = None
    """The inbound side, replaced whole."""
    outbound: OutboundSpec | None = None
    """The outbound side, replaced whole."""

    @model_validator(mode="after")
    def _unique_numbers(self) -> TrunkUpdate:
        if self.numbers is not None and len(set(self.numbers)) != len(self.numbers):
            raise ValueError("numbers must be unique")
        return self


class InboundRead(ResponseBody):
    allowed_addresses: list[str]
    """Source addresses or CIDR ranges calls are taken from; empty: any."""
    auth_username: str | None = None
    """Digest username callers must present (the password is never returned)."""


class OutboundRead(ResponseBody):
    address: str
    """The carrier's SIP host[:port]."""
    transport: str
    """udp, tcp or tls."""
    auth_username: str | None = None
    """Digest username sent to the carrier (the password is never returned)."""


class TrunkRead(ResponseBody):
    id: str
    """The trunk's id."""
    name: str
    """A name for people."""
    numbers: list[str]
    """The trunk's E.164 numbers."""
    inbound: InboundRead | None
    """The inbound side, if the trunk takes calls."""
    outbound: OutboundRead | None
    """The outbound side, if the trunk places calls."""
    inbound_trunk_id: str | None
    """LiveKit's inbound trunk id."""
    outbound_trunk_id: str | None
    """LiveKit's outbound trunk id."""
    created_at: datetime
    """When the trunk was created."""
    updated_at: datetime
    """When the trunk last changed."""


class TrunkEnvelope(ResponseBody):
    trunk: TrunkRead
    """The trunk."""


class TrunkList(Paginated):
    trunks: list[TrunkRead]
    """This page's trunks, oldest first."""


class PhoneLineCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Front desk",
                    "phone_number": "+442079460958",
                    "agent_config_id": "agt_0c1d2e3f4a5b6c7d8e9f",
                }
            ]
        }
    )

    name: Name
    """A name for people."""
    phone_number: E164
    """One of an inbound trunk's numbers."""
    trunk_id: str | None = Field(default=None, min_length=1, max_length=40)
    """Needed only when several of the project's trunks carry the number."""
    agent_config_id: str = Field(min_length=1, max_length=40)
    """The agent that answers each call."""
    dtmf_enabled: bool = True
    """Whether keypad digits reach the agent."""
    max_call_duration: int = Field(default=1800, ge=10, le=3600)
    """Seconds; caps the agent's own maximum duration for calls on this line."""
    record: bool = False
    """Record calls on this line even if the agent does not."""


class PhoneLineUpdate(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"max_call_duration": 600}]})

    name: Name | None = None
    """A name for people."""
    agent_config_id: str | None = Field(default=None, min_length=1, max_length=40)
    """The agent that answers each call; its configuration is snapshotted again."""
    dtmf_enabled: bool | None = None
    """Whether keypad digits reach the agent."""
    max_call_duration: int | None = Field(default=None, ge=10, le=3600)
    """Seconds; caps the agent's own maximum duration."""
    record: bool | None = None
    """Record calls on this line."""


class PhoneLineRead(ResponseBody):
    id: str
    """The phone line's id."""
    name: str
    """A name for people."""
    phone_number: str
    """The E.164 number callers dial."""
    trunk_id: str
    """The inbound trunk carrying the number."""
    agent_config_id: str
    """The agent that answers."""
    dtmf_enabled: bool
    """Whether keypad digits reach the agent."""
    max_call_duration: int
    """Seconds."""
    record: bool
    """Whether calls are recorded."""
    dispatch_rule_id: str | None
    """LiveKit's dispatch rule for the number."""
    created_at: datetime
    """When the line was created."""
    updated_at: datetime
    """When the line last changed."""


class PhoneLineEnvelope(ResponseBody):
    config: PhoneLineRead
    """The phone line."""


class PhoneLineList(Paginated):
    configs: list[PhoneLineRead]
    """This page's phone lines, oldest first."""


Prefix = Annotated[
    str,
    Field(pattern=r"^\+[0-9]{1,15}$", description="An E.164 prefix, e.g. +1 or +4420"),
]


class DiallingPolicyUpdate(RequestBody):
    """The project's outbound rules. Premium-rate, shared-cost and high-cost numbers stay
    refused whatever the allowlist says, and the caps cannot exceed the operator's."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"allowed_prefixes": ["+44"], "max_concurrent_calls": 2, "max_daily_minutes": 60}
            ]
        }
    )

    allowed_prefixes: list[Prefix] = Field(max_length=300)
    """E.164 prefixes (countries or areas) the project may call; empty: none."""
    max_concurrent_calls: int | None = Field(default=None, ge=0, le=10_000)
    """Outbound calls at once; null: the operator's cap."""
    max_daily_minutes: int | None = Field(default=None, ge=0, le=1_000_000)
    """Outbound minutes per UTC day; null: the operator's cap."""


class DiallingPolicyRead(ResponseBody):
    allowed_prefixes: list[str]
    """E.164 prefixes the project may call."""
    max_concurrent_calls: int
    """In effect: the project's own cap bounded by the operator's."""
    max_daily_minutes: int
    """In effect: the project's own cap bounded by the operator's."""
    active_calls: int
    """Outbound calls in progress now."""
    minutes_today: float
    """Outbound minutes used this UTC day."""


class DiallingPolicyEnvelope(ResponseBody):
    policy: DiallingPolicyRead
    """The project's dialling policy."""
