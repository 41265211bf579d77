"""The agent's cold transfer on a real AgentSession (text only): the offline answerer calls
`transfer_call` with the target the caller asks for, the agent says its transfer message and
then asks the control plane; a transfer that does not go through is apologised for."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from livekit.agents import Agent, AgentSession
from pydantic import ValidationError

from agent_worker.contracts import (
    AgentSpec,
    ConfigConflict,
    DispatchMetadata,
    PhoneConfig,
    TransferTarget,
)
from agent_worker.kb_answerer import KbAnswerer, transfer_target
from agent_worker.tools import function_schemas
from agent_worker.transfer import TRANSFER_FAILED, CallTransfer, transfer_call_tool

pytestmark = pytest.mark.unit

PHONE = PhoneConfig(
    transfer_targets=[
        TransferTarget(name="front_desk", to="tel:+14155550111", description="anything else"),
        TransferTarget(name="sales", to="sip:sales@pbx.example.com", description="orders"),
    ],
    transfer_message="One moment, I am putting you through.",
)


@pytest.mark.parametrize(
    ("said", "target"),
    [
        ("Can I speak to someone in sales, please?", "sales"),
        ("Please transfer me to the front desk.", "front_desk"),
        ("I want to talk to a real person.", "front_desk"),
        ("When are you open?", None),
    ],
)
def test_the_offline_answerer_picks_the_target_the_caller_names(
    said: str, target: str | None
) -> None:
    assert transfer_target(said, ["front_desk", "sales"]) == target


def test_the_tool_offers_the_configured_targets_by_name_only() -> None:
    meta = DispatchMetadata(
        session_id="ses_x", project_id="prj_x", agent_id="agt_x", room="r",
        agent=AgentSpec(name="a", phone=PHONE), report_url="http://127.0.0.1:9", report_token="t",
    )  # fmt: skip
    tool = transfer_call_tool(CallTransfer(None, meta, PHONE))  # type: ignore[arg-type]
    (schema,) = function_schemas([tool])
    assert schema["name"] == "transfer_call"
    assert schema["parameters"]["properties"]["target"]["enum"] == ["front_desk", "sales"]
    assert "sales: orders" in schema["description"]
    assert "+1415" not in str(schema) and "pbx" not in str(schema)


def test_the_tool_asks_for_a_briefing_only_when_a_target_is_warm() -> None:
    warm = PHONE.model_copy(
        update={
            "transfer_targets": [
                PHONE.transfer_targets[0].model_copy(update={"mode": "warm"}),
                PHONE.transfer_targets[1],
            ]
        }
    )
    schemas = {}
    for name, phone in (("cold", PHONE), ("warm", warm)):
        meta = DispatchMetadata(
            session_id="ses_x", project_id="prj_x", agent_id="agt_x", room="r",
            agent=AgentSpec(name="a", phone=phone), report_url="http://127.0.0.1:9",
            report_token="t",
        )  # fmt: skip
        tool = transfer_call_tool(CallTransfer(None, meta, phone))  # type: ignore[arg-type]
        (schemas[name],) = function_schemas([tool])
    assert "briefing" not in schemas["cold"]["parameters"]["properties"]
    briefing = schemas["warm"]["parameters"]["properties"]["briefing"]
    assert "Only for front_desk" in briefing["description"]
    assert schemas["warm"]["parameters"]["required"] == ["target"]


def test_target_names_are_unique_and_the_tool_name_is_reserved() -> None:
    twice = [{"name": "sales", "to": "tel:+14155550111"}] * 2
    with pytest.raises(ConfigConflict):
        PhoneConfig.model_validate({"transfer_targets": twice})
    with pytest.raises(ValidationError, match="built-in tool"):
        AgentSpec.model_validate(
            {
                "name": "a",
                "phone": {"transfer_targets": twice[:1]},
                "tools": [
                    {"name": "transfer_call", "description": "d", "url": "http://127.0.0.1:9"}
                ],
            }
        )


async def test_the_agent_announces_the_transfer_then_apologises_when_it_fails() -> None:
    spec = AgentSpec(name="Bakery", instructions="We bake bread.", phone=PHONE)
    # Nothing listens on port 9: the control plane is unreachable, the transfer fails.
    meta = DispatchMetadata(
        session_id="ses_x", project_id="prj_x", agent_id="agt_x", room="r", agent=spec,
        report_url="http://127.0.0.1:9/internal/v1", report_token="t",
    )  # fmt: skip
    async with (
        aiohttp.ClientSession() as http,
        AgentSession(llm=KbAnswerer(instructions=spec.instructions)) as session,
    ):
        transfer = CallTransfer(http, meta, spec.phone)
        await session.start(
            Agent(instructions=spec.instructions, tools=[transfer_call_tool(transfer)])
        )
        result = await session.run(user_input="Can I speak to someone in sales?")
        result.expect.next_event().is_function_call(
            name="transfer_call", arguments={"target": "sales"}
        )
        for _ in range(100):
            said = [
                m.text_content
                for m in session.history.items
                if m.type == "message" and m.role == "assistant"
            ]
            if TRANSFER_FAILED in said:
                break
            await asyncio.sleep(0.05)
        await transfer.aclose()
    assert said == [PHONE.transfer_message, TRANSFER_FAILED]
