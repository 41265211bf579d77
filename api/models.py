"""Imports every table model so metadata-wide tools (Alembic) see them all."""

from api.agents.models import AgentConfig
from api.events.models import Event, EventChannel
from api.projects.models import ApiKey, Project
from api.recordings.models import Recording
from api.sessions.models import CallSession, SessionEvent, TranscriptEntry
from api.telephony.models import SipCall, SipDiallingPolicy, SipPhoneLine, SipTrunk
from api.usage.models import ApiCallCount
from api.voice.models import VoiceCall, VoiceConfig
from api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "AgentConfig",
    "ApiCallCount",
    "ApiKey",
    "CallSession",
    "Event",
    "EventChannel",
    "Project",
    "Recording",
    "SessionEvent",
    "SipCall",
    "SipDiallingPolicy",
    "SipPhoneLine",
    "SipTrunk",
    "TranscriptEntry",
    "VoiceCall",
    "VoiceConfig",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
