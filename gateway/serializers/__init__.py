"""Carrier wire formats behind one interface (`Serializer`)."""

from gateway.serializers.base import (
    Audio,
    Dtmf,
    Hangup,
    Inbound,
    Message,
    ProtocolError,
    Role,
    Serializer,
    Start,
)
from gateway.serializers.plain import PlainSerializer
from gateway.serializers.twilio import TwilioSerializer

__all__ = [
    "Audio",
    "Dtmf",
    "Hangup",
    "Inbound",
    "Message",
    "PlainSerializer",
    "ProtocolError",
    "Role",
    "Serializer",
    "Start",
    "TwilioSerializer",
]
