"""Recordings: chunked uploads by a worker's token, list/get/download with HTTP Range, delete,
events, the storage quota and project isolation (SQLite and PostgreSQL)."""

from datetime import timedelta

import pytest

from agent_worker.contracts import RECORDING_CHUNK_BYTES
from api.sessions.tokens import issue_report_token
from tests.api.test_events_catalogue import events_of

pytestmark = pytest.mark.integration

AUDIO = bytes(range(256)) * 40  # 10,240 bytes standing in for an Ogg file


@pytest.fixture(autouse=True)
def _recordings_dir(settings, tmp_path):
    settings.recordings_dir = tmp_path / "recordings"


async def _session(client, key, room="desk"):
    response = await client.post(
        "/api/v1/sessions", json={"room_name": room, "caller_identity": "c"}, headers=key.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["session"]


def _worker(settings, subject, project_id):
    token = issue_report_token(
        settings.require_livekit_secret(), subject, project_id, timedelta(minutes=5)
    )
    return {"Authorization": f"Bearer {token}"}


async def _upload(client, auth, session_id, data=AUDIO, rec_id="rec_" + "a1" * 10, chunk=4000):
    opened = await client.post(
        f"/internal/v1/sessions/{session_id}/recordings",
        json={"id": rec_id, "format": "ogg", "channels": 2},
        headers=auth,
    )
    assert opened.status_code == 200, opened.text
    await _send_file(client, auth, rec_id, data, chunk)
    return rec_id


async def _send_file(client, auth, rec_id, data, chunk=4000, **complete):
    """Upload `data` in chunks and seal it, as a worker does."""
    for start in range(0, len(data), chunk):
        part = data[start : start + chunk]
        put = await client.put(
            f"/internal/v1/recordings/{rec_id}/content",
            content=part,
            headers={**auth, "Content-Range": f"bytes {start}-{start + len(part) - 1}/*"},
        )
        assert put.status_code == 200, put.text
    done = await client.post(
        f"/internal/v1/recordings/{rec_id}/complete",
        json={"size_bytes": len(data), "duration_s": 3.5, **complete},
        headers=auth,
    )
    assert done.status_code == 200, done.text


async def test_a_chunked_upload_becomes_a_ready_recording_served_with_ranges(
    client, admin, settings
):
    session = await _session(client, admin)
    auth = _worker(settings, session["id"], admin.project_id)
    rec_id = "rec_" + "b2" * 10
    await client.post(
        f"/internal/v1/sessions/{session['id']}/recordings",
        json={"id": rec_id},
        headers=auth,
    )
    # a chunk past where the upload stands is refused with the offset to resume from
    ahead = await client.put(
        f"/internal/v1/recordings/{rec_id}/content",
        content=AUDIO[100:200],
        headers={**auth, "Content-Range": "bytes 100-199/*"},
    )
    assert ahead.status_code == 409 and ahead.json()["details"]["received_bytes"] == 0
    await _upload(client, auth, session["id"], rec_id=rec_id)
    # a chunk resent after a lost answer replaces itself
    again = await client.put(
        f"/internal/v1/recordings/{rec_id}/content",
        content=AUDIO[:10],
        headers={**auth, "Content-Range": "bytes 0-9/*"},
    )
    assert again.status_code == 409  # sealed

    listed = (await client.get("/api/v1/recordings", headers=admin.headers)).json()
    assert listed["total"] == 1 and listed["recordings"][0]["id"] == rec_id
    one = (await client.get(f"/api/v1/recordings/{rec_id}", headers=admin.headers)).json()
    recording = one["recording"]
    assert recording["status"] == "ready" and recording["size_bytes"] == len(AUDIO)
    assert recording["session_id"] == session["id"] and recording["kind"] == "call"
    got = (await client.get(f"/api/v1/sessions/{session['id']}", headers=admin.headers)).json()
    assert [r["id"] for r in got["recordings"]] == [rec_id]
    filtered = await client.get(
        "/api/v1/recordings", params={"session_id": "ses_other"}, headers=admin.headers
    )
    assert filtered.json()["total"] == 0

    url = f"/api/v1/recordings/{rec_id}/download"
    whole = await client.get(url, headers=admin.headers)
    assert whole.status_code == 200 and whole.content == AUDIO
    assert whole.headers["content-type"].startswith("audio/ogg")
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(AUDIO)
    for asked, start, end in (
        ("bytes=10-19", 10, 19),
        ("bytes=-5", size - 5, size - 1),
        (f"bytes={size - 3}-", size - 3, size - 1),
        (f"bytes=100-{size * 2}", 100, size - 1),
    ):
        part = await client.get(url, headers={**admin.headers, "Range": asked})
        assert part.status_code == 206, asked
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}"
        assert part.content == AUDIO[start : end + 1]
    outside = await client.get(url, headers={**admin.headers, "Range": f"bytes={size}-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{size}"

    usage = (await client.get("/api/v1/quota", headers=admin.headers)).json()
    assert usage["quotas"]["recordings_gb"]["used"] == pytest.approx(size / 1e9)

    types = [e.event_type for e in await events_of(settings.database_url, admin.project_id)]
    recording_events = [t for t in types if t.startswith("recording.")]
    assert recording_events == ["recording.started", "recording.stopped", "recording.ready"]

    deleted = await client.delete(f"/api/v1/recordings/{rec_id}", headers=admin.headers)
    assert deleted.status_code == 204
    assert (await client.get(url, headers=admin.headers)).status_code == 404
    assert not list((settings.recordings_dir / admin.project_id).iterdir())


async def test_uploads_need_the_token_of_the_recordings_session(client, admin, make_key, settings):
    session = await _session(client, admin)
    other_session = await _session(client, admin, room="other")
    rec_id = await _upload(
        client, _worker(settings, session["id"], admin.project_id), session["id"]
    )
    state = f"/internal/v1/recordings/{rec_id}/upload"
    assert (await client.get(state)).status_code == 401
    forged = {"Authorization": "Bearer " + "x" * 40}
    assert (await client.get(state, headers=forged)).status_code == 401
    wrong_session = _worker(settings, other_session["id"], admin.project_id)
    assert (await client.get(state, headers=wrong_session)).status_code == 404
    opened = await client.post(
        f"/internal/v1/sessions/{session['id']}/recordings",
        json={"id": "rec_" + "c3" * 10},
        headers=wrong_session,
    )
    assert opened.status_code == 404
    other = await make_key("globex")
    assert (
        await client.get(state, headers=_worker(settings, session["id"], other.project_id))
    ).status_code == 404


async def test_another_projects_recordings_are_not_found(client, admin, make_key, settings):
    session = await _session(client, admin)
    rec_id = await _upload(
        client, _worker(settings, session["id"], admin.project_id), session["id"]
    )
    other = await make_key("globex")
    for method, path in (
        ("GET", f"/api/v1/recordings/{rec_id}"),
        ("GET", f"/api/v1/recordings/{rec_id}/download"),
        ("DELETE", f"/api/v1/recordings/{rec_id}"),
    ):
        assert (await client.request(method, path, headers=other.headers)).status_code == 404
    listed = (await client.get("/api/v1/recordings", headers=other.headers)).json()
    assert listed["total"] == 0
    stop = await client.post("/api/v1/rooms/desk/recordings/stop", json={}, headers=other.headers)
    assert stop.status_code == 404


async def test_an_upload_past_the_storage_quota_fails_the_recording(client, admin, settings):
    settings.usage.plans = {"free": {"recordings_gb": 5000 / 1e9}}
    session = await _session(client, admin)
    auth = _worker(settings, session["id"], admin.project_id)
    rec_id = "rec_" + "d4" * 10
    await client.post(
        f"/internal/v1/sessions/{session['id']}/recordings", json={"id": rec_id}, headers=auth
    )
    first = await client.put(
        f"/internal/v1/recordings/{rec_id}/content",
        content=AUDIO[:4000],
        headers={**auth, "Content-Range": "bytes 0-3999/*"},
    )
    assert first.status_code == 200
    second = await client.put(
        f"/internal/v1/recordings/{rec_id}/content",
        content=AUDIO[4000:8000],
        headers={**auth, "Content-Range": "bytes 4000-7999/*"},
    )
    assert second.status_code == 429 and second.json()["code"] == "QUOTA_EXCEEDED"
    got = (await client.get(f"/api/v1/recordings/{rec_id}", headers=admin.headers)).json()
    assert got["recording"]["status"] == "failed"
    types = [e.event_type for e in await events_of(settings.database_url, admin.project_id)]
    assert "recording.failed" in types


def test_chunks_fit_in_a_request_body(settings):
    assert settings.max_body_bytes > RECORDING_CHUNK_BYTES


async def test_a_signed_url_downloads_without_a_key_until_it_expires(client, admin, settings):
    from api.recordings.downloads import _signature

    session = await _session(client, admin)
    rec_id = await _upload(
        client, _worker(settings, session["id"], admin.project_id), session["id"]
    )
    made = await client.post(
        f"/api/v1/recordings/{rec_id}/download-url", json={"expires_in": 60}, headers=admin.headers
    )
    assert made.status_code == 200, made.text
    url = made.json()["url"]
    path = url[url.index("/api/v1/") :]
    whole = await client.get(path)
    assert whole.status_code == 200 and whole.content == AUDIO
    part = await client.get(path, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == AUDIO[:10]
    assert (await client.get(path.replace("signature=", "signature=x"))).status_code == 404
    assert (await client.get(path.split("?")[0])).status_code == 404
    past = 1_000_000
    expired = _signature(settings.require_livekit_secret(), rec_id, admin.project_id, past)
    stale = f"/api/v1/recordings/{rec_id}/file?expires={past}&signature={expired}"
    assert (await client.get(stale)).status_code == 404


async def test_room_recordings_start_as_a_recorder_dispatch_and_need_room_in_the_quota(
    client, admin, settings
):
    missing = await client.post(
        "/api/v1/rooms/nowhere/recordings/start", json={}, headers=admin.headers
    )
    assert missing.status_code == 404
    assert (
        await client.post("/api/v1/rooms", json={"name": "studio"}, headers=admin.headers)
    ).status_code == 201
    started = await client.post(
        "/api/v1/rooms/studio/recordings/start", json={"format": "mp4"}, headers=admin.headers
    )
    assert started.status_code == 201, started.text
    recording = started.json()["recording"]
    assert recording["status"] == "starting" and recording["egress_id"].startswith("AD_")
    assert recording["format"] == "mp4" and recording["room_name"].endswith("_studio")
    # no worker here: the recorder never joined, so stopping fails it
    stopped = await client.post(
        "/api/v1/rooms/studio/recordings/stop",
        json={"egress_id": recording["egress_id"]},
        headers=admin.headers,
    )
    assert stopped.status_code == 200, stopped.text
    assert [r["status"] for r in stopped.json()["recordings"]] == ["failed"]
    again = await client.post(
        "/api/v1/rooms/studio/recordings/stop", json={}, headers=admin.headers
    )
    assert again.status_code == 404

    settings.usage.plans = {"free": {"recordings_gb": 0}}
    full = await client.post(
        "/api/v1/rooms/studio/recordings/start", json={}, headers=admin.headers
    )
    assert full.status_code == 429 and full.json()["code"] == "QUOTA_EXCEEDED"


async def test_a_per_participant_room_recording_names_the_participant_on_each_channel(
    client, admin, settings
):
    from livekit import api as lk

    from agent_worker.contracts import RecorderDispatch

    assert (
        await client.post("/api/v1/rooms", json={"name": "panel"}, headers=admin.headers)
    ).status_code == 201
    started = await client.post(
        "/api/v1/rooms/panel/recordings/start",
        json={"format": "wav", "layout": "per_participant"},
        headers=admin.headers,
    )
    assert started.status_code == 201, started.text
    recording = started.json()["recording"]
    assert recording["channel_identities"] is None
    async with lk.LiveKitAPI(
        settings.livekit_url, settings.livekit_api_key, settings.require_livekit_secret()
    ) as livekit:
        dispatches = await livekit.agent_dispatch.list_dispatch(recording["room_name"])
    (metadata,) = [d.metadata for d in dispatches if d.id == recording["egress_id"]]
    dispatch = RecorderDispatch.model_validate_json(metadata)
    assert (dispatch.layout, dispatch.format) == ("per_participant", "wav")

    rec_id = recording["id"]
    auth = {"Authorization": f"Bearer {dispatch.report_token}"}
    assert (await client.post(f"/internal/v1/recordings/{rec_id}/started", headers=auth)).is_success
    await _send_file(client, auth, rec_id, AUDIO, channels=2, channel_identities=["alice", "bob"])
    ready = (await client.get(f"/api/v1/recordings/{rec_id}", headers=admin.headers)).json()[
        "recording"
    ]
    assert ready["status"] == "ready" and ready["channels"] == 2
    assert ready["channel_identities"] == ["alice", "bob"]
    bad = await client.post(
        "/api/v1/rooms/panel/recordings/start", json={"layout": "stereo"}, headers=admin.headers
    )
    assert bad.status_code in (400, 422)
