"""E.164 phone numbers: parsing, formatting and the facts the dialling policy needs.

Numbers travel in E.164 everywhere (`+` and up to 15 digits); anything else is refused at the
edge rather than guessed at, because a wrongly guessed country dials a stranger.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from sip.errors import InvalidPhoneNumber

MAX_INPUT_LENGTH = 32
"""Longer than any formatted E.164 number; refuses pathological input before parsing."""


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    """`+` then the country code and national number, no separators."""
    country_code: int
    region: str | None
    """ISO 3166 region (e.g. `GB`), None for non-geographic numbering plans."""
    number_type: int
    """A `phonenumbers.PhoneNumberType` constant (mobile, fixed line, premium rate, ...)."""

    def masked(self) -> str:
        """The number with all but its last two digits hidden, for messages and logs."""
        return self.e164[: len(str(self.country_code)) + 1] + "…" + self.e164[-2:]


def parse_e164(text: str, *, field: str = "phone_number") -> PhoneNumber:
    """Parse a number written in E.164 (spaces, dashes, dots and parentheses are tolerated);
    raise `InvalidPhoneNumber` for anything that is not a valid, dialable number."""
    candidate = text.strip()
    if not candidate.startswith("+") or len(candidate) > MAX_INPUT_LENGTH:
        raise InvalidPhoneNumber(
            "Phone numbers must be in E.164 form, e.g. +14155550123", field=field
        )
    try:
        parsed = phonenumbers.parse(candidate, None)
    except NumberParseException as exc:
        raise InvalidPhoneNumber("Not a phone number", field=field) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber("Not a valid phone number for its country", field=field)
    return PhoneNumber(
        e164=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        country_code=int(parsed.country_code or 0),
        region=_region(parsed),
        number_type=phonenumbers.number_type(parsed),
    )


def _region(parsed: phonenumbers.PhoneNumber) -> str | None:
    region = phonenumbers.region_code_for_number(parsed)
    # "001" is libphonenumber's region for non-geographic plans (+800, +881, ...).
    return region if region and region.isalpha() else None


def normalize_e164(text: str, *, field: str = "phone_number") -> str:
    """The canonical E.164 spelling of `text` (see `parse_e164`)."""
    return parse_e164(text, field=field).e164


def format_international(e164: str) -> str:
    """Human-readable international form, e.g. `+44 20 7946 0958`."""
    return phonenumbers.format_number(
        phonenumbers.parse(e164, None), PhoneNumberFormat.INTERNATIONAL
    )
