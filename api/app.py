"""The control plane's ASGI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from livekit import api as lk
from redis.asyncio import Redis

from api.agents.controllers import AgentController
from api.auth import add_rate_limit_headers
from api.background import PeriodicJobs
from api.calls.livekit_webhooks import LiveKitWebhookController
from api.calls.reconciler import reconcile
from api.db import create_engine, session_factory
from api.deps import DEPENDENCIES
from api.error_handlers import EXCEPTION_HANDLERS
from api.events.controllers import monitor
from api.events.monitor import MonitorHub
from api.events.relay import EventRelay
from api.health.controllers import HealthController
from api.knowledge.controllers import KnowledgeBaseController, KnowledgeSearchController
from api.knowledge.events import record_knowledge_change
from api.knowledge.refresh import refresh_due_urls
from api.methods import OptionsAllowHeader
from api.openapi import SECURITY, finish_document, openapi_config
from api.projects.controllers import ApiKeyController, ProjectController
from api.ratelimit import RateLimiter
from api.recordings.controllers import RecordingController, RoomRecordingController
from api.recordings.downloads import SignedDownloadController
from api.recordings.retention import fail_abandoned, fail_lost_recorders, purge_expired
from api.recordings.uploads import WorkerRecordingController
from api.requests import ApiRequest
from api.resources import Resources
from api.rooms.controllers import RoomController
from api.schemas import body_validation_plugin
from api.sessions.controllers import SessionController
from api.sessions.reports import WorkerReportController
from api.sessions.worker_search import WorkerKnowledgeController
from api.settings import ApiSettings
from api.supervision.controllers import SupervisionController
from api.supervision.services import forget_takeovers
from api.telephony import call_status as sip_call_status
from api.telephony.controllers import (
    CallControlController,
    SipDialController,
    SipPhoneLineController,
    SipTrunkController,
)
from api.telephony.dial_recovery import fail_interrupted_dials
from api.telephony.scheduling import dial_due_calls
from api.telephony.worker_calls import WorkerCallController
from api.tokens.controllers import TokenController
from api.tokens.signing import TokenSigner
from api.usage.controllers import UsageController
from api.usage.hooks import METER_STATE, before_public_request
from api.usage.meter import ApiCallMeter
from api.usage.quota_lock import release_after_response
from api.voice.controllers import (
    GatewayController,
    TwilioController,
    VoiceConfigController,
    VoiceSessionController,
)
from api.voice.ending import end_due_calls
from api.webhooks.controllers import WORKER_STATE, WebhookController
from api.webhooks.delivery import DeliveryWorker
from kb import Embedder, KnowledgeStore, UrlFetcher

API_PREFIX = "/api/v1"


def create_app(settings: ApiSettings) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        redis = Redis.from_url(settings.redis_url, decode_responses=True)
        fetcher = UrlFetcher(settings.kb)
        embedder = Embedder(
            batch_size=settings.kb.embedding_batch_size, threads=settings.kb.embedding_threads
        )
        livekit = lk.LiveKitAPI(
            settings.livekit_url,
            settings.livekit_api_key,
            settings.require_livekit_secret(),
        )
        resources = Resources(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            redis=redis,
            limiter=RateLimiter(redis, settings.rate_limits),
            livekit=livekit,
            knowledge=KnowledgeStore(
                engine, embedder, settings.kb, fetcher, listener=record_knowledge_change
            ),
            signer=TokenSigner(settings.livekit_api_key, settings.require_livekit_secret()),
        )
        app.state.resources = resources
        relay = EventRelay(resources.sessions, redis)
        webhooks = DeliveryWorker(resources.sessions, settings.webhooks)
        relay.subscribe(webhooks.on_events)
        relay.subscribe(forget_takeovers(redis))
        meter = ApiCallMeter(resources.sessions)
        setattr(app.state, WORKER_STATE, webhooks)
        setattr(app.state, METER_STATE, meter)
        jobs = PeriodicJobs()
        jobs.start("event-relay", relay.run_pass, 0)
        monitor_hub = MonitorHub(redis)
        app.state.monitor_hub = monitor_hub
        jobs.start("monitor-hub", monitor_hub.run_pass, 0)
        jobs.start("event-purge", relay.purge, 600.0)
        jobs.start("webhook-delivery", webhooks.run_pass, 0)
        jobs.start("usage-meter", meter.flush, settings.usage.meter_flush_s)
        jobs.start("session-reconciler", lambda: reconcile(resources), 1.0)
        jobs.start("sip-call-status", lambda: sip_call_status.watch_pass(resources), 1.0)
        jobs.start("sip-scheduled-calls", lambda: dial_due_calls(resources), 1.0)
        jobs.start("sip-interrupted-dials", lambda: fail_interrupted_dials(resources), 10.0)
        jobs.start("voice-call-ends", lambda: end_due_calls(resources), 1.0)
        jobs.start(
            "recording-retention",
            lambda: purge_expired(resources),
            settings.retention_check_s,
        )
        jobs.start("recording-abandoned", lambda: fail_abandoned(resources), 60.0)
        jobs.start("recorders-lost", lambda: fail_lost_recorders(resources), 20.0)
        jobs.start(
            "kb-url-refresh",
            lambda: refresh_due_urls(resources.knowledge),
            settings.url_refresh_check_s,
        )
        try:
            yield
        finally:
            await jobs.stop()
            await monitor_hub.aclose()
            await webhooks.aclose()
            await meter.flush()
            await fetcher.aclose()
            await livekit.aclose()
            await resources.limiter.aclose()
            await redis.aclose()
            await engine.dispose()

    public_api = Router(
        path=API_PREFIX,
        route_handlers=[
            ProjectController,
            ApiKeyController,
            TokenController,
            RoomController,
            AgentController,
            SessionController,
            SupervisionController,
            RecordingController,
            RoomRecordingController,
            KnowledgeBaseController,
            KnowledgeSearchController,
            SipTrunkController,
            SipPhoneLineController,
            SipDialController,
            CallControlController,
            WebhookController,
            UsageController,
            VoiceConfigController,
            VoiceSessionController,
            TwilioController,
        ],
        before_request=before_public_request,
        middleware=[release_after_response],
        security=SECURITY,
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            WorkerReportController,
            WorkerKnowledgeController,
            WorkerCallController,
            WorkerRecordingController,
            SignedDownloadController,
            LiveKitWebhookController,
            GatewayController,
            monitor,
            public_api,
        ],
        dependencies=DEPENDENCIES,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        before_send=[add_rate_limit_headers, OptionsAllowHeader()],
        plugins=[body_validation_plugin()],
        request_class=ApiRequest,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=openapi_config(version="0.1.0"),
    )
    finish_document(app)
    return app
