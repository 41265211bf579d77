import pytest

from sip import CallLimitReached, DestinationRefused, DiallingPolicy, OutboundUsage, parse_e164

pytestmark = pytest.mark.unit

IDLE = OutboundUsage(active_calls=0, minutes_today=0.0)


def refusal(policy: DiallingPolicy, number: str) -> str:
    with pytest.raises(DestinationRefused) as caught:
        policy.check(parse_e164(number), IDLE)
    assert (caught.value.status, caught.value.code) == (409, "CONFLICT")
    return str(caught.value.details["reason"])


def test_allowed_country_passes() -> None:
    DiallingPolicy.build(["+1", "+44"]).check(parse_e164("+14155550123"), IDLE)


def test_country_outside_the_allowlist_is_refused() -> None:
    assert refusal(DiallingPolicy.build(["+44"]), "+14155550123") == "country_not_allowed"


def test_empty_allowlist_refuses_everything() -> None:
    assert refusal(DiallingPolicy.build([]), "+442079460958") == "country_not_allowed"


def test_premium_rate_numbers_are_refused_even_in_an_allowed_country() -> None:
    assert refusal(DiallingPolicy.build(["+1"]), "+19005550123") == "premium_rate"


def test_uk_personal_numbers_are_refused_as_premium() -> None:
    assert refusal(DiallingPolicy.build(["+44"]), "+447011234567") == "premium_rate"


def test_satellite_ranges_are_refused_as_high_cost() -> None:
    assert refusal(DiallingPolicy.build(["+8"]), "+881612345678") == "high_cost"


def test_an_explicit_allowlist_entry_overrides_a_high_cost_range() -> None:
    DiallingPolicy.build(["+8816"]).check_destination(parse_e164("+881612345678"))


def test_concurrent_call_cap_refuses_the_next_call() -> None:
    policy = DiallingPolicy.build(["+1"], max_concurrent_calls=2)
    policy.check_capacity(OutboundUsage(active_calls=1, minutes_today=0))
    with pytest.raises(CallLimitReached) as caught:
        policy.check_capacity(OutboundUsage(active_calls=2, minutes_today=0))
    assert caught.value.status == 429
    assert caught.value.details == {"reason": "concurrent_calls", "limit": 2}


def test_daily_minutes_cap_refuses_once_used_up() -> None:
    policy = DiallingPolicy.build(["+1"], max_daily_minutes=10)
    assert policy.remaining_seconds(OutboundUsage(0, 9.5)) == 30
    with pytest.raises(CallLimitReached) as caught:
        policy.check(parse_e164("+14155550123"), OutboundUsage(0, 10.0))
    assert caught.value.details["reason"] == "daily_minutes"


def test_destination_is_checked_before_capacity() -> None:
    policy = DiallingPolicy.build(["+44"], max_concurrent_calls=0)
    with pytest.raises(DestinationRefused):
        policy.check(parse_e164("+14155550123"), IDLE)


def test_prefixes_are_read_with_or_without_the_plus() -> None:
    assert DiallingPolicy.build(["44", "+1"]).allowed_prefixes == ("+44", "+1")


@pytest.mark.parametrize("prefix", ["+", "+4a", "+1234567890123456"])
def test_malformed_prefixes_are_a_configuration_error(prefix: str) -> None:
    with pytest.raises(ValueError, match=r"E\.164 prefix"):
        DiallingPolicy.build([prefix])
