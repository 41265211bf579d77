"""Cold transfer by the agent: a `transfer_call` tool over the targets of the agent's config.

The agent names a target (`sales`), never a number: the numbers stay in the config, and the
control plane resolves the name against the session's own config and checks the dialling
policy before it asks LiveKit to REFER the phone. The agent first tells the caller; the
transfer is requested once that sentence has played (a tool cannot wait for speech that is
queued behind its own turn, so the wait runs in a task of its own, awaited on close).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from livekit.agents import RunContext, ToolError, function_tool, llm

from .contracts import TRANSFER_TOOL, DispatchMetadata, PhoneConfig

if TYPE_CHECKING:
    from livekit.agents import AgentSession, SpeechHandle

logger = logging.getLogger(__name__)

TRANSFER_FAILED = "I'm sorry, I could not transfer your call. Can I help you with anything else?"
TRANSFER_TIMEOUT_S = 45.0
"""The control plane waits up to 30 s for the phone to report the transfer's outcome."""


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

    @property
    def target_names(self) -> list[str]:
        return [target.name for target in self.phone.transfer_targets]

    def start(self, session: AgentSession, target: str) -> bool:
        """Tell the caller, then transfer; False while a transfer is already under way."""
        if self._task is not None:
            return False
        said = session.say(self.phone.transfer_message, allow_interruptions=False)
        self._task = asyncio.create_task(
            self._transfer_after(said, session, target),
            name="voxroom.transfer",
        )
        self._task.add_done_callback(self._finished)
        return True

    async def _transfer_after(self, said: SpeechHandle, session: AgentSession, target: str) -> None:
        await said.wait_for_playout()
        if not await self.request(target):
            session.say(TRANSFER_FAILED)

    async def request(self, target: str) -> bool:
        """True once the phone accepted the REFER (the call then leaves Voxroom)."""
        try:
            async with self._http.post(
                self._url,
                json={"target": target},
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


def transfer_call_tool(transfer: CallTransfer) -> llm.Tool:
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

    async def transfer_call(raw_arguments: dict[str, Any], context: RunContext) -> str | None:
        target = raw_arguments.get("target")
        if target not in transfer.target_names:
            raise ToolError(f"unknown target; choose one of {', '.join(transfer.target_names)}")
        if not transfer.start(context.session, str(target)):
            return "A transfer is already under way."
        return None

    return function_tool(transfer_call, raw_schema=schema)
