"""Twilio's request signature and TwiML, checked against Twilio's published examples."""

import pytest

from api.voice.twilio import connect_stream, is_signed, signature

pytestmark = pytest.mark.unit

# The worked example of Twilio's security documentation (used by its helper libraries' tests).
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = [
    ("CallSid", "CA1234567890ABCDE"),
    ("Caller", "+14158675309"),
    ("Digits", "1234"),
    ("From", "+14158675309"),
    ("To", "+18005551212"),
]


def test_the_signature_matches_twilios_published_examples():
    assert signature("12345", URL, PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature("12345", URL, reversed(PARAMS)) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]
    assert signature("12345", URL, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_a_request_is_signed_only_with_the_right_token_url_and_params():
    good = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert is_signed("12345", good, [URL], PARAMS)
    # A proxy that adds the default port does not break it.
    assert is_signed("12345", good, ["https://mycompany.com:443/myapp.php?foo=1&bar=2"], PARAMS)
    assert not is_signed("54321", good, [URL], PARAMS)
    assert not is_signed("12345", good, [URL + "&extra=1"], PARAMS)
    assert not is_signed("12345", good, [URL], [*PARAMS[:-1], ("To", "+18005551213")])
    assert not is_signed("12345", None, [URL], PARAMS)
    assert not is_signed("12345", "", [URL], PARAMS)


def test_twiml_connects_a_stream_with_escaped_parameters():
    twiml = connect_stream("ws://gw/ws/twilio/stream", {"ticket": 'a"<b'})
    assert twiml == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>'
        '<Stream url="ws://gw/ws/twilio/stream"><Parameter name="ticket" value="a&quot;&lt;b"/>'
        "</Stream></Connect></Response>"
    )
