"""POST /agents/{id}/chat: a text turn through the agent's own logic (offline answerer)."""

import pytest

pytestmark = pytest.mark.integration

BAKERY = """You are the assistant of Bluebird Bakery.
Our opening hours are 7 am to 6 pm, Monday to Saturday.
Delivery is free for orders above thirty dollars."""


async def test_chat_answers_from_instructions_and_keeps_the_conversation(client, admin):
    agent = (
        await client.post(
            "/api/v1/agents", json={"name": "Bakery", "instructions": BAKERY}, headers=admin.headers
        )
    ).json()
    first = await client.post(
        f"/api/v1/agents/{agent['id']}/chat",
        json={"message": "When are you open?"},
        headers=admin.headers,
    )
    assert first.status_code == 200, first.text
    body = first.json()
    assert "7 am to 6 pm" in body["response"]
    assert body["session_id"].startswith("chat_")
    second = await client.post(
        f"/api/v1/agents/{agent['id']}/chat",
        json={"message": "Is delivery free?", "session_id": body["session_id"]},
        headers=admin.headers,
    )
    assert second.json()["session_id"] == body["session_id"]
    assert "thirty dollars" in second.json()["response"]


async def test_chat_answers_from_the_agents_knowledge_base(client, admin):
    kb = (
        await client.post(
            "/api/v1/knowledge-bases", json={"name": "Policies"}, headers=admin.headers
        )
    ).json()["knowledge_base"]
    await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/ingest",
        json={
            "content": "# Returns\nUnopened items can be returned within fourteen days "
            "with the receipt for a full refund."
        },
        headers=admin.headers,
    )
    agent = (
        await client.post(
            "/api/v1/agents",
            json={
                "name": "Shop",
                "instructions": "You help shoppers.",
                "knowledge_base_ids": [kb["id"]],
            },
            headers=admin.headers,
        )
    ).json()
    reply = await client.post(
        f"/api/v1/agents/{agent['id']}/chat",
        json={"message": "Can I return an item I bought?"},
        headers=admin.headers,
    )
    assert reply.status_code == 200, reply.text
    assert "fourteen days" in reply.json()["response"]


async def test_chat_with_another_projects_agent_is_404(client, admin, make_key):
    agent = (await client.post("/api/v1/agents", json={"name": "A"}, headers=admin.headers)).json()
    other = await make_key("other")
    response = await client.post(
        f"/api/v1/agents/{agent['id']}/chat", json={"message": "hi"}, headers=other.headers
    )
    assert response.status_code == 404
    empty = await client.post(
        f"/api/v1/agents/{agent['id']}/chat", json={"message": ""}, headers=admin.headers
    )
    assert empty.status_code == 422


async def test_chat_with_a_local_model_that_is_not_installed_is_unavailable(client, admin):
    # llama-cpp-python is an optional build, absent here: loading it (in a thread) fails
    agent = (
        await client.post(
            "/api/v1/agents",
            json={"name": "Local", "llm": {"provider": "local"}},
            headers=admin.headers,
        )
    ).json()
    response = await client.post(
        f"/api/v1/agents/{agent['id']}/chat", json={"message": "hi"}, headers=admin.headers
    )
    assert response.status_code == 503
    assert response.json()["code"] == "UNAVAILABLE"
    assert "llama-cpp-python" in response.json()["error"]
