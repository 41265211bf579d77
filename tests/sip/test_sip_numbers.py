import pytest

from sip import InvalidPhoneNumber, normalize_e164, parse_e164
from sip.numbers import format_international

pytestmark = pytest.mark.unit


def test_e164_with_separators_is_normalized() -> None:
    assert normalize_e164("+44 20 7946-0958") == "+442079460958"
    assert normalize_e164(" +1 (415) 555.0123 ") == "+14155550123"


def test_parsed_number_knows_its_country_and_region() -> None:
    number = parse_e164("+442079460958")
    assert (number.country_code, number.region) == (44, "GB")
    assert parse_e164("+881612345678").region is None  # non-geographic satellite plan


@pytest.mark.parametrize(
    "text",
    ["02079460958", "442079460958", "+44 20", "+999123456789", "tel:+442079460958", "+" + "1" * 40],
)
def test_numbers_not_in_valid_e164_are_refused(text: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as caught:
        parse_e164(text, field="numbers")
    assert caught.value.status == 422
    assert caught.value.details["field"] == "numbers"


def test_masked_number_hides_all_but_country_and_last_digits() -> None:
    assert parse_e164("+442079460958").masked() == "+44…58"


def test_international_format_is_readable() -> None:
    assert format_international("+442079460958") == "+44 20 7946 0958"
