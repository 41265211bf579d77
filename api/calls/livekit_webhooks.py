"""LiveKit's webhooks: verified (JWT signed with our API secret, carrying the body's
SHA-256), stored once per event id as our events, and otherwise treated as hints.

A webhook only schedules a check of its room (see `reconciler`): LiveKit delivers best effort
and out of order, so the Room API decides what is true.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from livekit import api as lk

from api.calls.livekit_events import record_livekit_event
from api.calls.reconciler import schedule_room_check
from api.errors import Unauthorized
from api.resources import Resources
from api.telephony import call_status
from api.telephony.inbound import phone_participant_joined


class LiveKitWebhookController(Controller):
    path = "/internal/v1"
    tags = ["internal"]
    include_in_schema = False

    @post("/livekit/webhook", operation_id="livekitWebhook", status_code=200)
    async def livekit_webhook(
        self, request: Request[Any, Any, Any], resources: NamedDependency[Resources]
    ) -> dict[str, bool]:
        settings = resources.settings
        receiver = lk.WebhookReceiver(
            lk.TokenVerifier(settings.livekit_api_key, settings.require_livekit_secret())
        )
        # Bytes that are not UTF-8 cannot match the signed hash: refused below, not a 500.
        body = (await request.body()).decode(errors="replace")
        try:
            event = receiver.receive(body, request.headers.get("authorization", ""))
        except Exception as exc:
            raise Unauthorized("Invalid LiveKit webhook signature") from exc
        # LiveKit retries deliveries: act on each event id once.
        if not await record_livekit_event(resources, event):
            return {"duplicate": True}
        agent_left = (
            event.event == "participant_left"
            and event.participant.kind == lk.ParticipantInfo.Kind.AGENT
        )
        if event.participant.kind == lk.ParticipantInfo.Kind.SIP:
            # Phone calls: a caller on a phone line starts its session; a phone participant
            # leaving ends its call's `call.status`.
            if event.event == "participant_joined":
                await phone_participant_joined(resources, event)
            elif event.event == "participant_left":
                await call_status.participant_left(
                    resources,
                    event.room.name,
                    event.participant.identity,
                    event.participant.disconnect_reason,
                )
        if agent_left or event.event == "room_finished":
            await schedule_room_check(resources, event.room.name)
        return {"duplicate": False}
