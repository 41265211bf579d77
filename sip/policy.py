"""The dialling policy: which destinations a project may call, and how much.

Outbound calls cost money and are the classic target of toll fraud (calls pumped to premium
or satellite numbers), so every destination passes this check before any INVITE leaves.
The policy is pure: callers pass in the project's current usage, counted wherever it lives.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from phonenumbers import PhoneNumberType

from sip.errors import CallLimitReached, DestinationRefused
from sip.numbers import PhoneNumber

REFUSED_NUMBER_TYPES = frozenset(
    {
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        # Personal numbers (e.g. UK 070) look like mobiles but are charged like premium ones.
        PhoneNumberType.PERSONAL_NUMBER,
    }
)

HIGH_COST_PREFIXES = (
    "+870",  # Inmarsat
    "+881",  # global mobile satellite systems (Iridium, Globalstar, ...)
    "+882",  # international networks
    "+883",  # international networks
    "+888",  # OCHA humanitarian networks
    "+979",  # international premium rate
)
"""Non-geographic ranges that cost many times a normal call; refused unless explicitly
allowed by a longer entry in the project's allowlist."""


@dataclass(frozen=True)
class OutboundUsage:
    """A project's outbound calling right now: calls in progress and minutes used today."""

    active_calls: int
    minutes_today: float


@dataclass(frozen=True)
class DiallingPolicy:
    allowed_prefixes: tuple[str, ...]
    """E.164 prefixes that may be dialled (`+1`, `+44`, `+4930`); empty allows nothing."""
    refused_prefixes: tuple[str, ...] = HIGH_COST_PREFIXES
    max_concurrent_calls: int = 5
    max_daily_minutes: int = 600

    @classmethod
    def build(
        cls,
        allowed_prefixes: Iterable[str],
        refused_prefixes: Iterable[str] = HIGH_COST_PREFIXES,
        *,
        max_concurrent_calls: int = 5,
        max_daily_minutes: int = 600,
    ) -> DiallingPolicy:
        return cls(
            allowed_prefixes=tuple(_prefix(p) for p in allowed_prefixes),
            refused_prefixes=tuple(_prefix(p) for p in refused_prefixes),
            max_concurrent_calls=max_concurrent_calls,
            max_daily_minutes=max_daily_minutes,
        )

    def check_destination(self, number: PhoneNumber, *, field: str = "phone_number") -> None:
        """Raise `DestinationRefused` unless the number may be called at all."""
        details = {"field": field, "country_code": number.country_code}
        allowed = _longest_match(number.e164, self.allowed_prefixes)
        if allowed is None:
            raise DestinationRefused(
                "Calls to this country are not allowed by the dialling policy",
                details={**details, "reason": "country_not_allowed"},
            )
        if number.number_type in REFUSED_NUMBER_TYPES:
            raise DestinationRefused(
                "Premium-rate and shared-cost numbers cannot be called",
                details={**details, "reason": "premium_rate"},
            )
        refused = _longest_match(number.e164, self.refused_prefixes)
        # A refused range wins unless the allowlist names it (or a part of it) explicitly.
        if refused is not None and len(refused) >= len(allowed):
            raise DestinationRefused(
                "High-cost destinations cannot be called",
                details={**details, "reason": "high_cost"},
            )

    def check_capacity(self, usage: OutboundUsage) -> None:
        """Raise `CallLimitReached` when one more outbound call would break a cap."""
        if usage.active_calls >= self.max_concurrent_calls:
            raise CallLimitReached(
                "Too many outbound calls in progress",
                details={"reason": "concurrent_calls", "limit": self.max_concurrent_calls},
            )
        if usage.minutes_today >= self.max_daily_minutes:
            raise CallLimitReached(
                "Daily outbound minutes used up",
                details={"reason": "daily_minutes", "limit": self.max_daily_minutes},
            )

    def remaining_seconds(self, usage: OutboundUsage) -> int:
        """How long the next call may last before the daily minutes run out."""
        return max(0, int((self.max_daily_minutes - usage.minutes_today) * 60))

    def check(self, number: PhoneNumber, usage: OutboundUsage) -> None:
        self.check_destination(number)
        self.check_capacity(usage)


def _prefix(text: str) -> str:
    digits = text.strip().removeprefix("+")
    if not digits.isdigit() or not 1 <= len(digits) <= 15:
        raise ValueError(f"not an E.164 prefix: {text!r}")
    return "+" + digits


def _longest_match(e164: str, prefixes: tuple[str, ...]) -> str | None:
    matches = [p for p in prefixes if e164.startswith(p)]
    return max(matches, key=len) if matches else None
