"""Wire models of the telephony API: trunks and phone lines (`/sip/configs`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from sip import SipError, normalize_e164
from sip.livekit_requests import normalize_cidr


# Validators raise ValueError so that a bad value is a field error (422) like any other.
def _e164(value: str) -> str:
    try:
        return normalize_e164(value)
    except SipError as exc:
        raise ValueError(exc.message) from exc


def _cidr(value: str) -> str:
    try:
        return normalize_cidr(value)
    except SipError as exc:
        raise ValueError(exc.message) from exc


E164 = Annotated[
    str,
    Field(
        pattern=r"^\+[1-9][0-9]{1,14}$",
        description="A valid phone number in E.164 form, e.g. +14155550123",
        examples=["+14155550123"],
    ),
    AfterValidator(_e164),
]
Cidr = Annotated[
    str,
    Field(min_length=1, max_length=64, description="An IP address or CIDR range"),
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
        description="The carrier's SIP host[:port]",
        examples=["sip.carrier.example:5060"],
    ),
]
MaxCallDuration = Annotated[
    int, Field(ge=10, le=3600, description="Seconds; caps the agent's own maximum duration")
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Credentials(Strict):
    auth_username: Username | None = None
    auth_password: Password | None = None

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


class OutboundSpec(_Credentials):
    address: SipAddress
    transport: Literal["udp", "tcp", "tls"] = "udp"


class TrunkCreate(Strict):
    name: Name
    numbers: list[E164] = Field(min_length=1, max_length=50)
    inbound: InboundSpec | None = None
    outbound: OutboundSpec | None = None

    @model_validator(mode="after")
    def _one_direction(self) -> TrunkCreate:
        if self.inbound is None and self.outbound is None:
            raise ValueError("a trunk needs inbound, outbound or both")
        if len(set(self.numbers)) != len(self.numbers):
            raise ValueError("numbers must be unique")
        return self


class TrunkUpdate(Strict):
    """Partial update. `inbound` / `outbound`, when given, replace that side whole
    (credentials left out are removed); a side the trunk lacks is added."""

    name: Name | None = None
    numbers: list[E164] | None = Field(default=None, min_length=1, max_length=50)
    inbound: InboundSpec | None = None
    outbound: OutboundSpec | None = None

    @model_validator(mode="after")
    def _unique_numbers(self) -> TrunkUpdate:
        if self.numbers is not None and len(set(self.numbers)) != len(self.numbers):
            raise ValueError("numbers must be unique")
        return self


class InboundRead(BaseModel):
    allowed_addresses: list[str]
    auth_username: str | None = None


class OutboundRead(BaseModel):
    address: str
    transport: str
    auth_username: str | None = None


class TrunkRead(BaseModel):
    id: str
    name: str
    numbers: list[str]
    inbound: InboundRead | None
    outbound: OutboundRead | None
    inbound_trunk_id: str | None
    outbound_trunk_id: str | None
    created_at: datetime
    updated_at: datetime


class TrunkEnvelope(BaseModel):
    trunk: TrunkRead


class TrunkList(BaseModel):
    trunks: list[TrunkRead]
    total: int
    page: int
    per_page: int
    total_pages: int


class PhoneLineCreate(Strict):
    name: Name
    phone_number: E164
    trunk_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="Needed only when several of the project's trunks carry the number",
    )
    agent_config_id: str = Field(min_length=1, max_length=40)
    dtmf_enabled: bool = True
    max_call_duration: MaxCallDuration = 1800
    record: bool = False


class PhoneLineUpdate(Strict):
    name: Name | None = None
    agent_config_id: str | None = Field(default=None, min_length=1, max_length=40)
    dtmf_enabled: bool | None = None
    max_call_duration: MaxCallDuration | None = None
    record: bool | None = None


class PhoneLineRead(BaseModel):
    id: str
    name: str
    phone_number: str
    trunk_id: str
    agent_config_id: str
    dtmf_enabled: bool
    max_call_duration: int
    record: bool
    dispatch_rule_id: str | None
    created_at: datetime
    updated_at: datetime


class PhoneLineEnvelope(BaseModel):
    config: PhoneLineRead


class PhoneLineList(BaseModel):
    configs: list[PhoneLineRead]
    total: int
    page: int
    per_page: int
    total_pages: int


Prefix = Annotated[
    str,
    Field(pattern=r"^\+[0-9]{1,15}$", description="An E.164 prefix, e.g. +1 or +4420"),
]


class DiallingPolicyUpdate(Strict):
    """The project's outbound rules. Premium-rate, shared-cost and high-cost numbers stay
    refused whatever the allowlist says, and the caps cannot exceed the operator's."""

    allowed_prefixes: list[Prefix] = Field(max_length=300)
    max_concurrent_calls: int | None = Field(default=None, ge=0, le=10_000)
    max_daily_minutes: int | None = Field(default=None, ge=0, le=1_000_000)


class DiallingPolicyRead(BaseModel):
    allowed_prefixes: list[str]
    max_concurrent_calls: int
    """In effect: the project's own cap bounded by the operator's."""
    max_daily_minutes: int
    active_calls: int
    minutes_today: float


class DiallingPolicyEnvelope(BaseModel):
    policy: DiallingPolicyRead
