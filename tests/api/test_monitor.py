"""/ws/monitor: per-project live events with per-channel seq and replay, across replicas."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.sessions.tokens import issue_report_token
from tests.services import served

pytestmark = pytest.mark.integration


def ws_url(base: str, key: str | None = None) -> str:
    url = base.replace("http://", "ws://") + "/ws/monitor"
    return f"{url}?api_key={key}" if key else url


async def next_event(ws, within_s=5.0) -> dict:
    """The next message that is an event (notices are skipped)."""
    async with asyncio.timeout(within_s):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] not in ("subscribed", "unsubscribed"):
                return message


async def subscribe(ws, channel: str, since: int | None = None) -> dict:
    request: dict[str, object] = {"action": "subscribe", "channel": channel}
    if since is not None:
        request["since"] = since
    await ws.send(json.dumps(request))
    async with asyncio.timeout(5):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "subscribed" and message["channel"] == channel:
                return message


async def start_call(http, headers, room="call"):
    agent = (await http.post("/api/v1/agents", json={"name": "Desk"}, headers=headers)).json()
    token = await http.post(
        "/api/v1/token",
        json={"identity": "caller", "room": room, "agent_config_id": agent["id"]},
        headers=headers,
    )
    return token.json()


def turn(event_id: str, text: str, offset_s: float) -> dict:
    at = datetime.now(UTC) + timedelta(seconds=offset_s)
    return {
        "type": "turn",
        "event_id": event_id,
        "role": "user",
        "text": text,
        "started_at": at.isoformat(),
    }


async def test_a_bad_key_is_closed_with_4001(settings):
    async with served(create_app(settings)) as base:
        for url in (ws_url(base, "vx_not_a_key"), ws_url(base)):
            async with connect(url) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001


async def test_a_subscriber_on_one_replica_sees_a_transcript_reported_to_another(
    settings, admin, make_key
):
    other = await make_key("other")
    async with (
        served(create_app(settings)) as replica_a,
        served(create_app(settings)) as replica_b,
        httpx.AsyncClient(base_url=replica_a) as http_a,
    ):
        token = await start_call(http_a, admin.headers)
        session_id = token["sessions"][0]["session_id"]
        short_room = token["room"].split("_", 1)[1]
        async with (
            connect(ws_url(replica_b), additional_headers=admin.headers) as ws,
            connect(ws_url(replica_b, other.api_key)) as outsider,
        ):
            subscribed = await subscribe(ws, f"session:{session_id}")
            assert subscribed["seq"] == 1  # session.started
            await subscribe(ws, f"room:{short_room}")
            await subscribe(outsider, "rooms")
            await subscribe(outsider, f"session:{session_id}")
            report_token = issue_report_token(
                settings.require_livekit_secret(),
                session_id,
                admin.project_id,
                timedelta(minutes=5),
            )
            reported = await http_a.post(
                f"/internal/v1/sessions/{session_id}/events",
                json={"events": [turn("t1", "When are you open?", 1)]},
                headers={"Authorization": f"Bearer {report_token}"},
            )
            assert reported.status_code == 200
            received = [await next_event(ws), await next_event(ws)]
            by_channel = {m["channel"]: m for m in received}
            line = by_channel[f"session:{session_id}"]
            assert line["type"] == "transcript.new" and line["seq"] == 2
            assert line["data"]["content"] == "When are you open?"
            assert line["data"]["session_id"] == session_id
            assert set(line) == {"type", "channel", "seq", "data", "timestamp"}
            assert by_channel[f"room:{short_room}"]["seq"] == 2
            with pytest.raises(TimeoutError):
                await next_event(outsider, within_s=1.0)


async def test_since_replays_what_a_subscriber_missed_in_order(settings, admin):
    async with (
        served(create_app(settings)) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        token = await start_call(http, admin.headers)
        session_id = token["sessions"][0]["session_id"]
        report_token = issue_report_token(
            settings.require_livekit_secret(), session_id, admin.project_id, timedelta(minutes=5)
        )
        await http.post(
            f"/internal/v1/sessions/{session_id}/events",
            json={"events": [turn(f"t{i}", f"line {i}", i) for i in range(3)]},
            headers={"Authorization": f"Bearer {report_token}"},
        )
        async with connect(ws_url(base, admin.api_key)) as ws:
            await ws.send(json.dumps({"action": "subscribe", "channel": "nowhere"}))
            assert json.loads(await ws.recv())["type"] == "error"
            subscribed = await subscribe(ws, f"session:{session_id}", since=1)
            assert subscribed["seq"] == 4
            replayed = [await next_event(ws) for _ in range(3)]
            assert [m["seq"] for m in replayed] == [2, 3, 4]
            assert [m["data"]["content"] for m in replayed] == ["line 0", "line 1", "line 2"]
            await http.post(
                f"/internal/v1/sessions/{session_id}/events",
                json={"events": [turn("t9", "live", 9)]},
                headers={"Authorization": f"Bearer {report_token}"},
            )
            live = await next_event(ws)
            assert (live["seq"], live["data"]["content"]) == (5, "live")
            await ws.send(json.dumps({"action": "unsubscribe", "channel": f"session:{session_id}"}))
            assert json.loads(await ws.recv())["type"] == "unsubscribed"


async def test_a_frame_that_is_not_a_json_request_gets_an_error_reply(settings, admin):
    async with served(create_app(settings)) as base, connect(ws_url(base, admin.api_key)) as ws:
        for frame in (b"\x00\x01", "not json", json.dumps(["subscribe"])):
            await ws.send(frame)
            async with asyncio.timeout(5):
                reply = json.loads(await ws.recv())
            assert reply["type"] == "error" and reply["code"] == "INVALID_REQUEST"
        assert (await subscribe(ws, "rooms"))["seq"] == 0  # still serving
