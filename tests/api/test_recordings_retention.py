"""`privacy.retention_days`: the sweep purges the recordings and transcripts of an agent's
calls that ended longer ago, and nothing newer (SQLite and PostgreSQL)."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import col, select, update

from api.db import create_engine, session_factory, utcnow
from api.recordings.retention import purge_expired
from api.sessions.models import CallSession
from tests.api.test_recordings import _upload, _worker

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _recordings_dir(settings, tmp_path):
    settings.recordings_dir = tmp_path / "recordings"


async def _call(client, key, agent_id, room):
    created = await client.post(
        "/api/v1/sessions",
        json={"room_name": room, "caller_identity": "c", "agent_config_id": agent_id},
        headers=key.headers,
    )
    assert created.status_code == 201, created.text
    session = created.json()["session"]
    line = await client.post(
        f"/api/v1/sessions/{room}/transcript",
        json={"speaker": "user", "content": "my account number is 1234"},
        headers=key.headers,
    )
    assert line.status_code in (200, 201), line.text
    return session


async def test_retention_purges_old_recordings_and_transcripts_only(client, admin, settings):
    keep_forever = (
        await client.post("/api/v1/agents", json={"name": "Keeps"}, headers=admin.headers)
    ).json()
    forgetful = (
        await client.post(
            "/api/v1/agents",
            json={"name": "Forgets", "privacy": {"retention_days": 1, "record_audio": True}},
            headers=admin.headers,
        )
    ).json()
    old = await _call(client, admin, forgetful["id"], "old")
    recent = await _call(client, admin, forgetful["id"], "recent")
    kept = await _call(client, admin, keep_forever["id"], "kept")
    recordings = {}
    for index, session in enumerate((old, recent, kept)):
        auth = _worker(settings, session["id"], admin.project_id)
        recordings[session["id"]] = await _upload(
            client, auth, session["id"], rec_id=f"rec_{index:020d}"
        )
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        async with factory() as db:
            for session_id, ended in (
                (old["id"], utcnow() - timedelta(days=2)),
                (recent["id"], utcnow() - timedelta(hours=2)),
                (kept["id"], utcnow() - timedelta(days=30)),
            ):
                await db.exec(
                    update(CallSession)
                    .where(col(CallSession.id) == session_id)
                    .values(status="completed", ended_at=ended)
                )
            await db.commit()
        purged = await purge_expired(SimpleNamespace(sessions=factory, settings=settings))
        assert purged == 1
        assert await purge_expired(SimpleNamespace(sessions=factory, settings=settings)) == 0
    finally:
        await engine.dispose()

    async def lines(session_id):
        response = await client.get(
            f"/api/v1/sessions/{session_id}/transcript", headers=admin.headers
        )
        return response.json()["transcripts"]

    async def status(session_id):
        response = await client.get(
            f"/api/v1/recordings/{recordings[session_id]}", headers=admin.headers
        )
        return response.status_code

    assert await lines(old["id"]) == []
    assert await status(old["id"]) == 404
    assert len(await lines(recent["id"])) == 1 and await status(recent["id"]) == 200
    assert len(await lines(kept["id"])) == 1 and await status(kept["id"]) == 200
    files = sorted(p.name for p in (settings.recordings_dir / admin.project_id).iterdir())
    assert files == sorted(f"{recordings[s['id']]}.ogg" for s in (recent, kept))


async def test_recordings_nobody_will_finish_fail(client, admin, settings):
    from api.events.models import Event
    from api.recordings.models import Recording
    from api.recordings.retention import fail_abandoned

    lost = await _session(client, admin, "lost")
    live = await _session(client, admin, "live")
    for index, session in enumerate((lost, live)):
        opened = await client.post(
            f"/internal/v1/sessions/{session['id']}/recordings",
            json={"id": f"rec_{index:020d}"},
            headers=_worker(settings, session["id"], admin.project_id),
        )
        assert opened.status_code == 200
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    try:
        async with factory() as db:
            await db.exec(
                update(CallSession)
                .where(col(CallSession.id) == lost["id"])
                .values(status="completed", ended_at=utcnow() - timedelta(minutes=20))
            )
            for name, age in (("old", timedelta(minutes=3)), ("new", timedelta(seconds=5))):
                db.add(
                    Recording(
                        id=f"rec_room{name}",
                        project_id=admin.project_id,
                        room_name=f"p_{name}",
                        kind="room",
                        status="starting",
                        created_at=utcnow() - age,
                    )
                )
            await db.commit()
        resources = SimpleNamespace(sessions=factory, settings=settings)
        assert await fail_abandoned(resources) == 2
        assert await fail_abandoned(resources) == 0
        async with factory() as db:
            statuses = {row.id: row.status for row in (await db.exec(select(Recording))).all()}
            failed_events = (
                await db.exec(select(Event).where(Event.event_type == "recording.failed"))
            ).all()
    finally:
        await engine.dispose()
    assert statuses == {
        "rec_00000000000000000000": "failed",
        "rec_00000000000000000001": "recording",
        "rec_roomold": "failed",
        "rec_roomnew": "starting",
    }
    assert len(failed_events) == 2


async def _session(client, key, room):
    created = await client.post(
        "/api/v1/sessions", json={"room_name": room, "caller_identity": "c"}, headers=key.headers
    )
    return created.json()["session"]


async def test_a_room_recording_whose_recorder_is_lost_fails(client, admin, settings):
    from livekit import api as lk
    from livekit import rtc
    from redis.asyncio import Redis

    from agent_worker.contracts import RECORDER_IDENTITY_PREFIX
    from api.recordings.models import Recording
    from api.recordings.retention import fail_lost_recorders
    from tests.api.test_supervision import _agent_token

    assert (
        await client.post("/api/v1/rooms", json={"name": "studio"}, headers=admin.headers)
    ).status_code == 201
    started = await client.post(
        "/api/v1/rooms/studio/recordings/start", json={}, headers=admin.headers
    )
    room = started.json()["recording"]["room_name"]
    rows = {"lost": room, "here": room, "uploading": room, "roomgone": "p_gone_room"}
    # ids of this run only: the recorders' absence is noted in the session's shared Redis
    run = uuid.uuid4().hex[:8]
    engine = create_engine(settings.database_url)
    factory = session_factory(engine)
    livekit = lk.LiveKitAPI(
        settings.livekit_url, settings.livekit_api_key, settings.require_livekit_secret()
    )
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    recorder = rtc.Room()
    resources = SimpleNamespace(sessions=factory, settings=settings, livekit=livekit, redis=redis)

    async def statuses() -> dict[str, str]:
        async with factory() as db:
            found = (await db.exec(select(Recording))).all()
        return {row.id.removeprefix("rec_").removesuffix(f"_{run}"): row.status for row in found}

    try:
        async with factory() as db:
            for name, room_name in rows.items():
                db.add(
                    Recording(
                        id=f"rec_{name}_{run}",
                        project_id=admin.project_id,
                        room_name=room_name,
                        kind="room",
                        status="recording",
                    )
                )
            await db.commit()
        await recorder.connect(
            settings.livekit_url.replace("http", "ws"),
            _agent_token(settings, room, RECORDER_IDENTITY_PREFIX + f"rec_here_{run}"),
        )
        # the first pass only notes who is absent, and how far each upload stands (a long
        # grace: the app's own periodic pass may have noted them already)
        assert await fail_lost_recorders(resources, grace_s=3600) == 0
        async with factory() as db:
            await db.exec(
                update(Recording)
                .where(col(Recording.id) == f"rec_uploading_{run}")
                .values(received_bytes=4096)
            )
            await db.commit()
        assert await fail_lost_recorders(resources, grace_s=0, encode_s_per_s=0) == 2
        current = await statuses()
        assert {k: current[k] for k in rows} == {
            "lost": "failed",
            "here": "recording",
            "uploading": "recording",  # out of the room, but its upload moves
            "roomgone": "failed",
        }
        # an upload that stopped moving was lost too; one under the grace is not failed yet
        assert await fail_lost_recorders(resources, grace_s=3600) == 0
        assert await fail_lost_recorders(resources, grace_s=0, encode_s_per_s=0) == 1
        assert (await statuses())["uploading"] == "failed"
        assert (await statuses())["here"] == "recording"
    finally:
        await recorder.disconnect()
        await redis.aclose()
        await livekit.aclose()
        await engine.dispose()
