"""Agents: the full config of API.md, validated as a whole, with 422s naming the field."""

import uuid
from typing import Any

import aiohttp
import pytest
from livekit.agents import (
    DEFAULT_API_CONNECT_OPTIONS,
    Agent,
    AgentSession,
    APIConnectOptions,
    NotGivenOr,
    llm,
)

from agent_worker.contracts import BUILTIN_TOOLS, AgentSpec
from agent_worker.knowledge import ControlPlaneKnowledge
from agent_worker.tools import agent_tools

pytestmark = pytest.mark.integration

FULL = {
    "name": "Clinic receptionist",
    "instructions": "You answer questions about the clinic.",
    "first_message": "Hello, Riverside Clinic.",
    "language": "en",
    "stt": {"provider": "whisper", "model": "base", "language": "en"},
    "llm": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "temperature": 0.3,
        "base_url": "http://127.0.0.1:8080/v1",
    },
    "tts": {"provider": "piper", "voice": "joe", "speed": 1.1},
    "turn_detection": {"mode": "model", "min_endpointing_delay": 0.3, "max_endpointing_delay": 2},
    "interruptions": {"enabled": True, "min_words": 1, "min_duration": 0.4},
    "silence": {"end_call_after_s": 30},
    "max_duration_s": 600,
    "knowledge_base_ids": [],
    "tools": [
        {
            "type": "http",
            "name": "book_visit",
            "description": "Book a visit",
            "parameters": {"type": "object"},
            "url": "https://example.invalid/book",
        }
    ],
    "privacy": {"retention_days": 30, "record_audio": False},
}


async def test_full_config_round_trips(client, admin):
    created = await client.post("/api/v1/agents", json=FULL, headers=admin.headers)
    assert created.status_code == 201, created.text
    agent = created.json()
    assert agent["id"].startswith("agt_")
    fetched = (await client.get(f"/api/v1/agents/{agent['id']}", headers=admin.headers)).json()
    for field, value in FULL.items():
        if isinstance(value, dict):
            assert {k: fetched[field][k] for k in value} == pytest.approx(value), field
        elif field != "tools":
            assert fetched[field] == value, field
    assert fetched["tools"][0]["name"] == "book_visit"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"max_duration_s": 5}, "max_duration_s"),
        ({"max_duration_s": 3601}, "max_duration_s"),
        ({"llm": {"temperature": 3}}, "llm.temperature"),
        ({"llm": {"provider": "skynet"}}, "llm.provider"),
        ({"llm": {"base_url": "ftp://x"}}, "llm.base_url"),
        ({"tts": {"speed": 0}}, "tts.speed"),
        ({"stt": {"provider": "nope"}}, "stt.provider"),
        ({"interruptions": {"min_words": -1}}, "interruptions.min_words"),
        ({"silence": {"end_call_after_s": 1}}, "silence.end_call_after_s"),
        ({"privacy": {"retention_days": 0}}, "privacy.retention_days"),
        ({"name": ""}, "name"),
        ({"tools": [{"name": "bad name", "description": "d", "url": "https://x"}]}, "tools.0.name"),
        *(
            ({"tools": [{"name": builtin, "description": "d", "url": "https://x"}]}, "tools.0.name")
            for builtin in sorted(BUILTIN_TOOLS)
        ),
        ({"turn_detection": {"mode": "telepathy"}}, "turn_detection.mode"),
    ],
)
async def test_invalid_config_is_422_naming_the_field(client, admin, patch, field):
    created = await client.post(
        "/api/v1/agents", json={"name": "a", **patch}, headers=admin.headers
    )
    assert created.status_code == 422, created.text
    assert created.json()["details"]["field"] == field
    agent = (await client.post("/api/v1/agents", json={"name": "ok"}, headers=admin.headers)).json()
    patched = await client.patch(f"/api/v1/agents/{agent['id']}", json=patch, headers=admin.headers)
    assert patched.status_code == 422, patched.text
    assert patched.json()["details"]["field"] == field
    # A refused update changes nothing.
    after = (await client.get(f"/api/v1/agents/{agent['id']}", headers=admin.headers)).json()
    assert after["updated_at"] == agent["updated_at"]


async def test_fields_that_contradict_each_other_are_a_409_naming_the_field(client, admin):
    # 422 is for a field that breaks its own documented schema; a rule between fields, which
    # JSON Schema cannot state, is a conflict (the OpenAPI contract stays exact).
    response = await client.post(
        "/api/v1/agents",
        json={
            "name": "a",
            "turn_detection": {"min_endpointing_delay": 2, "max_endpointing_delay": 1},
        },
        headers=admin.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "CONFLICT"
    assert response.json()["details"]["field"] == "turn_detection.max_endpointing_delay"


async def test_patch_merges_nested_settings(client, admin):
    agent = (await client.post("/api/v1/agents", json=FULL, headers=admin.headers)).json()
    patched = await client.patch(
        f"/api/v1/agents/{agent['id']}",
        json={"llm": {"temperature": 0.9}, "is_active": False},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["llm"]["temperature"] == 0.9
    assert body["llm"]["model"] == "gpt-4o-mini"
    assert body["is_active"] is False


async def test_list_paginates_and_filters(client, admin):
    for i in range(3):
        await client.post(
            "/api/v1/agents", json={"name": f"a{i}", "is_active": i != 1}, headers=admin.headers
        )
    page = (await client.get("/api/v1/agents?per_page=2&page=2", headers=admin.headers)).json()
    assert page["total"] == 3
    assert page["total_pages"] == 2
    assert [a["name"] for a in page["agents"]] == ["a2"]
    active = (await client.get("/api/v1/agents?is_active=true", headers=admin.headers)).json()
    assert active["total"] == 2
    assert (await client.get("/api/v1/agents?page=0", headers=admin.headers)).status_code == 422


async def test_delete_then_404(client, admin):
    agent = (await client.post("/api/v1/agents", json={"name": "a"}, headers=admin.headers)).json()
    assert (
        await client.delete(f"/api/v1/agents/{agent['id']}", headers=admin.headers)
    ).status_code == 204
    assert (
        await client.get(f"/api/v1/agents/{agent['id']}", headers=admin.headers)
    ).status_code == 404


async def test_tools_lists_builtins_and_custom_tools(client, admin):
    agent = (await client.post("/api/v1/agents", json=FULL, headers=admin.headers)).json()
    tools = (await client.get(f"/api/v1/agents/{agent['id']}/tools", headers=admin.headers)).json()[
        "tools"
    ]
    assert [t["name"] for t in tools] == ["end_call", "book_visit", "press_keys"]
    assert [(t["type"], t["phone_only"]) for t in tools] == [
        ("builtin", False),
        ("http", False),
        ("builtin", True),
    ]


async def test_phone_only_tools_are_listed_as_the_config_enables_them(client, admin):
    phone = {
        "dtmf": False,
        "transfer_targets": [
            {"name": "sales", "to": "tel:+14155550111", "description": "orders and prices"},
            {"name": "billing", "to": "tel:+14155550112", "mode": "warm"},
        ],
    }
    keypad_off = {**FULL, "tools": [], "phone": phone}
    agent = (await client.post("/api/v1/agents", json=keypad_off, headers=admin.headers)).json()
    tools = (await client.get(f"/api/v1/agents/{agent['id']}/tools", headers=admin.headers)).json()[
        "tools"
    ]
    assert [(t["name"], t["phone_only"]) for t in tools] == [
        ("end_call", False),
        ("transfer_call", True),
    ]
    transfer = tools[1]["parameters"]["properties"]
    assert transfer["target"]["enum"] == ["sales", "billing"]
    assert "Only for billing" in transfer["briefing"]["description"]
    assert "+1415" not in str(tools)  # targets by name, never their numbers


class ToolRecorder(llm.LLM):
    """Keeps the tools an AgentSession hands its LLM, and answers with a fixed line."""

    def __init__(self) -> None:
        super().__init__()
        self.offered: list[llm.Tool] = []

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: NotGivenOr[Any],
    ) -> llm.LLMStream:
        self.offered = list(tools or [])
        return _Reply(self, chat_ctx=chat_ctx, tools=self.offered, conn_options=conn_options)


class _Reply(llm.LLMStream):
    async def _run(self) -> None:
        self._event_ch.send_nowait(
            llm.ChatChunk(
                id=uuid.uuid4().hex, delta=llm.ChoiceDelta(role="assistant", content="ok")
            )
        )


async def test_a_transfer_target_naming_a_missing_trunk_is_not_found(client, admin):
    target = {"name": "billing", "to": "tel:+14155550112", "mode": "warm", "trunk_id": "trk_0"}
    body = {**FULL, "phone": {"transfer_targets": [target]}}
    response = await client.post("/api/v1/agents", json=body, headers=admin.headers)
    assert response.status_code == 404, response.text
    assert response.json()["details"]["field"] == "phone.transfer_targets.0.trunk_id"


async def test_tools_are_described_as_the_llm_of_a_call_gets_them(client, admin):
    kb = (
        await client.post("/api/v1/knowledge-bases", json={"name": "Facts"}, headers=admin.headers)
    ).json()["knowledge_base"]
    body = {**FULL, "knowledge_base_ids": [kb["id"]]}
    agent = (await client.post("/api/v1/agents", json=body, headers=admin.headers)).json()
    described = (
        await client.get(f"/api/v1/agents/{agent['id']}/tools", headers=admin.headers)
    ).json()["tools"]

    recorder = ToolRecorder()
    spec = AgentSpec.model_validate(body)
    async with aiohttp.ClientSession() as http:
        tools = agent_tools(
            spec,
            http=http,
            timeout_s=1.0,
            context={"session_id": "ses_x", "agent_id": agent["id"]},
            knowledge=ControlPlaneKnowledge(
                http, report_url="http://127.0.0.1:9", report_token="t", knowledge_base_ids=[]
            ),
            on_end_call=lambda: None,
        )
        async with AgentSession(llm=recorder) as session:
            await session.start(Agent(instructions=spec.instructions, tools=tools))
            await session.run(user_input="hello")
    sent = llm.ToolContext(recorder.offered).parse_function_tools("openai", strict=False)
    # a web call: the phone-only tools (`press_keys`) are not offered
    assert [
        {key: tool[key] for key in ("name", "description", "parameters")}
        for tool in described
        if not tool["phone_only"]
    ] == [schema["function"] for schema in sent]
    assert [t["name"] for t in described] == [
        "end_call",
        "search_knowledge_base",
        "book_visit",
        "press_keys",
    ]
    assert [t["type"] for t in described] == ["builtin", "builtin", "http", "builtin"]
    assert "Call it before answering any factual question" in described[1]["description"]


async def test_every_builtin_tool_name_is_reserved(client, admin):
    """The names a custom tool may not take are exactly those the worker gives its own tools
    (an agent with transfer targets, on a phone line with the keypad on; and knowledge bases,
    which need a real one, are `search_knowledge_base`)."""
    spec = {
        **FULL,
        "phone": {"transfer_targets": [{"name": "desk", "to": "tel:+14155550123"}]},
    }
    agent = (await client.post("/api/v1/agents", json=spec, headers=admin.headers)).json()
    response = await client.get(f"/api/v1/agents/{agent['id']}/tools", headers=admin.headers)
    builtin = {t["name"] for t in response.json()["tools"] if t["type"] == "builtin"}
    assert builtin | {"search_knowledge_base"} == BUILTIN_TOOLS
