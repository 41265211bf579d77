"""Usage: metered from the worker's reports, priced from the settings' table (offline models
cost 0), grouped by day, model, agent and service; public API calls counted."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from livekit import api as lk

from agent_worker.contracts import DispatchMetadata
from api.app import create_app
from api.usage.settings import PriceTable, UsageSettings

pytestmark = pytest.mark.integration

AGENT = {
    "name": "Desk",
    "llm": {"provider": "openai", "model": "gpt-4o-mini", "base_url": "http://127.0.0.1:9/v1"},
    "stt": {"provider": "whisper", "model": "base"},
    "tts": {"provider": "piper", "voice": "joe"},
}


async def start_call(
    client, headers, livekit, room: str
) -> tuple[dict[str, Any], DispatchMetadata]:
    agent = (await client.post("/api/v1/agents", json=AGENT, headers=headers)).json()
    token = await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": room, "agent_config_id": agent["id"]},
        headers=headers,
    )
    assert token.status_code == 200, token.text
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as api:
        dispatches = await api.agent_dispatch.list_dispatch(token.json()["room"])
    metadata = next(
        DispatchMetadata.model_validate_json(d.metadata) for d in dispatches if d.agent_name
    )
    return agent, metadata


async def worker_reports(client, metadata: DispatchMetadata, *events: dict[str, Any]) -> None:
    response = await client.post(
        f"/internal/v1/sessions/{metadata.session_id}/events",
        json={"events": list(events)},
        headers={"Authorization": f"Bearer {metadata.report_token}"},
    )
    assert response.status_code == 200, response.text


async def test_usage_is_metered_from_worker_reports_and_priced(client, admin, livekit):
    agent, metadata = await start_call(client, admin.headers, livekit, "usage-room")
    # Two per-turn usage reports, then the end of the call.
    await worker_reports(
        client,
        metadata,
        {
            "type": "usage",
            "event_id": "u1",
            "stt_audio_seconds": 20.0,
            "llm_prompt_tokens": 600,
            "llm_completion_tokens": 300,
            "tts_characters": 120,
        },
        {
            "type": "usage",
            "event_id": "u2",
            "stt_audio_seconds": 10.0,
            "llm_prompt_tokens": 400,
            "llm_completion_tokens": 200,
            "tts_characters": 80,
        },
    )
    live = (await client.get("/api/v1/usage?period=today", headers=admin.headers)).json()
    assert live["totals"]["active_sessions"] == 1
    await worker_reports(
        client, metadata, {"type": "session_ended", "event_id": "end", "reason": "manual"}
    )
    by_service = (
        await client.get("/api/v1/usage?period=today&group_by=service", headers=admin.headers)
    ).json()
    totals = by_service["totals"]
    assert totals["calls"] == 1 and totals["active_sessions"] == 0
    assert totals["audio_minutes"] == pytest.approx(0.5)
    assert (totals["input_tokens"], totals["output_tokens"], totals["tts_characters"]) == (
        1000,
        500,
        200,
    )
    # gpt-4o-mini list price: $0.15 / $0.60 per million tokens; Whisper and Piper are offline.
    assert totals["cost_usd"] == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1e6)
    services = {row["service"]: row for row in by_service["breakdown"]}
    assert services["stt"]["cost_usd"] == 0 and services["tts"]["cost_usd"] == 0
    assert services["llm"]["quantity"] == 1500
    assert services["calls"]["calls"] == 1 and services["calls"]["call_seconds"] > 0
    by_model = (
        await client.get("/api/v1/usage?period=7d&group_by=model", headers=admin.headers)
    ).json()
    assert [row["model"] for row in by_model["breakdown"]] == ["openai/gpt-4o-mini"]
    by_agent = (
        await client.get("/api/v1/usage?period=30d&group_by=agent", headers=admin.headers)
    ).json()
    assert by_agent["breakdown"][0]["agent_id"] == agent["id"]
    assert by_agent["breakdown"][0]["agent_name"] == "Desk"
    by_day = (await client.get("/api/v1/usage?period=all", headers=admin.headers)).json()
    assert by_day["group_by"] == "day" and len(by_day["breakdown"]) == 1
    assert by_day["breakdown"][0]["input_tokens"] == 1000


async def test_api_calls_are_counted_per_project(client, admin, make_key):
    other = await make_key("other-co")
    for _ in range(5):
        await client.get("/api/v1/agents", headers=admin.headers)
    await client.get("/api/v1/agents", headers=other.headers)
    async with asyncio.timeout(10):
        while True:
            usage = (await client.get("/api/v1/usage?period=today", headers=admin.headers)).json()
            if usage["totals"]["api_calls"] >= 5:
                break
            await asyncio.sleep(0.2)
    assert usage["breakdown"][0]["api_calls"] == usage["totals"]["api_calls"]
    theirs = (await client.get("/api/v1/usage?period=today", headers=other.headers)).json()
    assert 1 <= theirs["totals"]["api_calls"] < 5


@pytest.mark.parametrize(
    "query", ["period=yesterday", "group_by=colour", "period=7d&group_by=day&extra=1"]
)
async def test_bad_usage_queries_are_refused(client, admin, query):
    response = await client.get(f"/api/v1/usage?{query}", headers=admin.headers)
    if "extra" in query:
        assert response.status_code == 200
    else:
        assert response.status_code in (400, 422)
        assert response.json()["code"] == "INVALID_REQUEST"


async def test_a_sessions_detail_is_priced_by_the_operators_table_as_usage_is(
    settings, admin, livekit
):
    prices = PriceTable(llm_per_million_tokens={"openai": (1.0, 2.0)})
    priced = settings.model_copy(update={"usage": UsageSettings(prices=prices)})
    async with AsyncTestClient(app=create_app(priced)) as client:
        _, metadata = await start_call(client, admin.headers, livekit, "priced-room")
        await worker_reports(
            client,
            metadata,
            {
                "type": "usage",
                "event_id": "u",
                "llm_prompt_tokens": 1000,
                "llm_completion_tokens": 500,
            },
            {"type": "session_ended", "event_id": "end", "reason": "manual"},
        )
        detail = await client.get(
            f"/api/v1/sessions/{metadata.session_id}/detail", headers=admin.headers
        )
        usage = await client.get("/api/v1/usage?period=today", headers=admin.headers)
    assert detail.json()["costs"]["llm"] == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)
    assert detail.json()["costs"]["total"] == pytest.approx(usage.json()["totals"]["cost_usd"])
