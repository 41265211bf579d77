from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from api.db import UtcDateTime, utcnow


class SipTrunk(SQLModel, table=True):
    """A carrier connection: LiveKit holds the trunks (and their passwords); this row holds
    their ids and what may be shown back."""

    __tablename__ = "sip_trunks"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    name: str = Field(max_length=100)
    numbers: list[str] = Field(sa_type=JSON)
    inbound: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """Allowed addresses and the digest username; never the password."""
    outbound: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """Address, transport and the digest username; never the password."""
    inbound_trunk_id: str | None = Field(default=None, max_length=64)
    outbound_trunk_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SipPhoneLine(SQLModel, table=True):
    """A number whose inbound calls reach an agent (API: `/sip/configs`)."""

    __tablename__ = "sip_phone_lines"
    __table_args__ = (UniqueConstraint("trunk_id", "phone_number"),)

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    trunk_id: str = Field(foreign_key="sip_trunks.id", index=True, max_length=40)
    agent_id: str = Field(index=True, max_length=40)
    """No foreign key: deleting an agent must not fail on its lines; calls keep the snapshot
    in the dispatch rule until the line is pointed at another agent."""
    name: str = Field(max_length=100)
    phone_number: str = Field(max_length=20)
    dtmf_enabled: bool = True
    max_call_duration: int
    """Seconds; the agent's own `max_duration_s` is capped by it for calls on this line."""
    record: bool = False
    dispatch_rule_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class SipCall(SQLModel, table=True):
    """An outbound call: placed with `POST /sip/dial`, or the person a warm transfer dials.
    What the dialling policy counts."""

    __tablename__ = "sip_calls"

    id: str = Field(primary_key=True, max_length=40)
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    trunk_id: str = Field(max_length=40)
    """No foreign key: a trunk may be deleted while its past calls stay counted."""
    session_id: str | None = Field(default=None, max_length=40)
    room_name: str = Field(max_length=160)
    phone_number: str = Field(max_length=20)
    caller_id: str = Field(max_length=20)
    participant_identity: str = Field(max_length=128)
    sip_participant_id: str | None = Field(default=None, max_length=64)
    status: str = Field(default="initiating", max_length=16)
    max_duration_s: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """When its phone left the call (its final `call.status`)."""


class SipDiallingPolicy(SQLModel, table=True):
    """A project's dialling policy; a project without a row may call nowhere."""

    __tablename__ = "sip_dialling_policies"

    project_id: str = Field(foreign_key="projects.id", primary_key=True, max_length=40)
    allowed_prefixes: list[str] = Field(sa_type=JSON)
    max_concurrent_calls: int | None = None
    """None: the operator's cap (`VOXROOM_SIP_MAX_CONCURRENT_OUTBOUND_CALLS`)."""
    max_daily_minutes: int | None = None
    """None: the operator's cap (`VOXROOM_SIP_MAX_DAILY_OUTBOUND_MINUTES`)."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class ScheduledSipCall(SQLModel, table=True):
    """A `POST /sip/dial` with `scheduled_at`, waiting in the database (so the queue outlives
    a restart) until the control plane's poller dials it."""

    __tablename__ = "sip_scheduled_calls"

    id: str = Field(primary_key=True, max_length=40)
    """The id the call gets once dialled (`call_...`)."""
    project_id: str = Field(foreign_key="projects.id", index=True, max_length=40)
    scheduled_at: datetime = Field(sa_type=UtcDateTime, index=True)
    request: dict[str, Any] = Field(sa_type=JSON)
    """The dial request as given, without `scheduled_at`."""
    principal: dict[str, Any] = Field(sa_type=JSON)
    """The key that scheduled it: the call is placed on its behalf."""
    status: str = Field(default="scheduled", max_length=16)
    """scheduled, dialing, dialed, failed or cancelled."""
    error: str | None = Field(default=None, max_length=200)
    """Why dialling failed (the error a direct dial would have answered)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
