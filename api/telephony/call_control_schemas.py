"""Wire models of controlling a live phone call (`/sessions/{id}/dtmf|transfer`)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from agent_worker.contracts import TRANSFER_TARGET
from agent_worker.dtmf import DIGITS_PATTERN
from api.schemas import RequestBody, ResponseBody


class DtmfRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"digits": "1#"}]})

    digits: str = Field(min_length=1, max_length=32, pattern=DIGITS_PATTERN)
    """Keypad keys to press on the call, in order (0-9, *, #, A-D): sent to the phone as RFC
    4733 events by the call's agent."""


class CallControlResult(ResponseBody):
    success: bool = True
    """Always true; failures are error responses."""
    session_id: str
    """The phone call's session (`ses_...`)."""
    action: Literal["dtmf", "transfer"]
    """What was done."""


class TransferRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"to": "tel:+14155550199"},
                {"to": "tel:+14155550199", "mode": "warm", "briefing": "A caller about a refund."},
            ]
        }
    )

    to: str = Field(max_length=210, pattern=TRANSFER_TARGET)
    """Where the phone is sent: `tel:+<E.164>` (checked against the dialling policy) or a
    `sip:` URI."""
    mode: Literal["cold", "warm"] = "cold"
    """cold: the phone is referred to the target (SIP REFER) and the agent leaves the call.
    warm: the caller is put on hold, the target (`tel:` only) is dialled through the outbound
    trunk into the call and briefed by the agent, then caller and target are connected and the
    agent leaves."""
    briefing: str | None = Field(default=None, min_length=1, max_length=1000)
    """warm: what the agent tells the person before connecting them (a default sentence
    otherwise); ignored by a cold transfer."""
    trunk_id: str | None = Field(default=None, max_length=40)
    """warm: the trunk to dial the person through (default: the trunk a dial-out was placed
    through, else the project's only outbound trunk); ignored by a cold transfer."""


class WorkerTransferRequest(RequestBody):
    """Body of the call's agent's `POST /internal/v1/sessions/{id}/transfer`."""

    target: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    """The name of one of the transfer targets of the session's agent config."""
    briefing: str | None = Field(default=None, min_length=1, max_length=1000)
    """A warm target: what the agent tells the person before connecting the caller."""


class AnsweredReport(RequestBody):
    """Body of the call's agent's `POST /internal/v1/sessions/{id}/answered`."""

    answered_by: Literal["human", "machine", "unknown"]
    """Who answered the dial-out (unknown: the detection could not tell; treated as a
    person)."""
    voicemail: Literal["left_message", "hung_up"] | None = None
    """When a machine answered: what the agent did."""
    category: str = Field(default="", max_length=40)
    """The detector's own category (human, machine-vm, machine-ivr, machine-unavailable,
    uncertain)."""


ANSWER_LINES = {
    ("human", None): "Answered by a person",
    ("unknown", None): "Answered (person or machine could not be told apart)",
    ("machine", "left_message"): "Answered by a machine: voicemail message left",
    ("machine", "hung_up"): "Answered by a machine: hung up",
    ("machine", None): "Answered by a machine",
}
