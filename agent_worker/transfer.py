"""Transfer by the agent: a `transfer_call` tool over the targets of the agent's config.

The agent names a target (`sales`), never a number: the numbers stay in the config, and the
control plane resolves the name against the session's own config and checks the dialling
policy before it asks LiveKit to REFER the phone. The agent first tells the caller; the
transfer is requested once that sentence has played (a tool cannot wait for speech that is
queued behind its own turn, so the wait runs in a task of its own, awaited on close). A warm
target also takes the agent's briefing for the person; the control plane then has the agent
say it (a supervisor command) and removes the agent once caller and person are connected.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from livekit.agents import RunContext, ToolError, function_tool, llm

from .contracts import TRANSFER_TOOL, DispatchMetadata, PhoneConfig

if TYPE_CHECKING:
    from livekit.agents import AgentSession, SpeechHandle

logger = logging.getLogger(__name__)

TRANSFER_FAILED = "I'm sorry, I could not transfer your call. Can I help you with anything else?"
TRANSFER_TIMEOUT_S = 150.0
"""A cold transfer waits up to 30 s for the phone's outcome; a warm one rings the person (up
to the ringing timeout) and waits for the briefing (up to 60 s)."""


class TransferStarter(Protocol):
    """What `transfer_call` needs of a transfer: the targets, and a way to start one."""

    phone: PhoneConfig

    def start(self, session: AgentSession, target: str, briefing: str | None = None) -> bool:
        """Tell the caller, then transfer; False while a transfer is already under way."""
        ...


class CallTransfer:
    """Asks the control plane to transfer this session's phone call, once at a time."""

    def __init__(
        self, http: aiohttp.ClientSession, meta: DispatchMetadata, phone: PhoneConfig
    ) -> None:
        self._http = http
        self._url = f"{meta.report_url}/sessions/{meta.session_id}/transfer"
        self._headers = {"Authorization": f"Bearer {meta.report_token}"}
        self.phone = phone
        self._task: asyncio.Task[None] | None = None

    def start(self, session: AgentSession, target: str, briefing: str | None = None) -> bool:
        """Tell the caller, then transfer; False while a transfer is already under way."""
        if self._task is not None:
            return False
        said = session.say(self.phone.transfer_message, allow_interruptions=False)
        self._task = asyncio.create_task(
            self._transfer_after(said, session, target, briefing),
            name="voxroom.transfer",
        )
        self._task.add_done_callback(self._finished)
        return True

    async def _transfer_after(
        self, said: SpeechHandle, session: AgentSession, target: str, briefing: str | None
    ) -> None:
        await said.wait_for_playout()
        if not await self.request(target, briefing):
            session.say(TRANSFER_FAILED)

    async def request(self, target: str, briefing: str | None = None) -> bool:
        """True once the phone accepted the REFER (the call then leaves Voxroom), or a warm
        transfer connected caller and person."""
        body = {"target": target} | ({"briefing": briefing} if briefing else {})
        try:
            async with self._http.post(
                self._url,
                json=body,
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=TRANSFER_TIMEOUT_S),
            ) as response:
                if response.status == 200:
                    return True
                logger.warning("transfer refused", extra={"status": response.status})
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("transfer not requested", extra={"error": type(exc).__name__})
        return False

    def _finished(self, task: asyncio.Task[None]) -> None:
        if task is self._task:
            self._task = None
        if not task.cancelled() and task.exception() is not None:
            logger.error("transfer failed", exc_info=task.exception())

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def transfer_call_tool(transfer: TransferStarter) -> llm.Tool:
    """`transfer_call(target)`, its choices and their descriptions taken from the config."""
    targets = transfer.phone.transfer_targets
    choices = "; ".join(
        f"{target.name}: {target.description}" if target.description else target.name
        for target in targets
    )
    schema = {
        "name": TRANSFER_TOOL,
        "description": "Transfer the phone call to a person or team when the caller asks for "
        "one, or when they can help better than you. The call leaves you afterwards. "
        f"Targets: {choices}.",
        "parameters": {
            "type": "object",
            "properties": {
                "target": {
                    "type": "string",
                    "enum": [target.name for target in targets],
                    "description": "Who to transfer the call to.",
                }
            },
            "required": ["target"],
        },
    }
    warm = [target.name for target in targets if target.mode == "warm"]
    if warm:
        schema["parameters"]["properties"]["briefing"] = {  # type: ignore[index]
            "type": "string",
            "maxLength": 1000,
            "description": f"Only for {', '.join(warm)}: one or two sentences telling the "
            "person who is calling and what they need; you say it to them before connecting "
            "the caller.",
        }

    async def transfer_call(raw_arguments: dict[str, Any], context: RunContext) -> str | None:
        target = raw_arguments.get("target")
        names = [choice.name for choice in targets]
        if target not in names:
            raise ToolError(f"unknown target; choose one of {', '.join(names)}")
        briefing = raw_arguments.get("briefing")
        briefing = str(briefing)[:1000] if briefing else None
        if not transfer.start(context.session, str(target), briefing):
            return "A transfer is already under way."
        return None

    return function_tool(transfer_call, raw_schema=schema)
