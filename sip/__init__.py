"""Telephony: E.164 numbers, the dialling policy, livekit-sip's config and LiveKit SIP requests.

A library for the control plane; it never imports `api`.
"""

from sip.bridge_config import LiveKitEndpoint, render_bridge_config, write_bridge_config
from sip.errors import (
    BridgeConfigError,
    CallLimitReached,
    DestinationRefused,
    InvalidPhoneNumber,
    SipError,
)
from sip.numbers import PhoneNumber, normalize_e164, parse_e164
from sip.policy import DiallingPolicy, OutboundUsage
from sip.settings import SipSettings

__all__ = [
    "BridgeConfigError",
    "CallLimitReached",
    "DestinationRefused",
    "DiallingPolicy",
    "InvalidPhoneNumber",
    "LiveKitEndpoint",
    "OutboundUsage",
    "PhoneNumber",
    "SipError",
    "SipSettings",
    "normalize_e164",
    "parse_e164",
    "render_bridge_config",
    "write_bridge_config",
]
