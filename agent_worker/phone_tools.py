"""The tools only phone calls get, built one way for a call and for the agent's tool list
(`GET /agents/{id}/tools`): `press_keys` while the keypad is on (`phone.dtmf`; a phone line
with `dtmf_enabled: false` turns it off for its calls), then `transfer_call` when the config
has `phone.transfer_targets`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from livekit.agents import llm

from .contracts import TRANSFER_TOOL, PhoneConfig
from .dtmf import KEYPAD_TOOL, PressKeys, keypad_tool
from .transfer import TransferStarter, transfer_call_tool

if TYPE_CHECKING:
    from livekit.agents import AgentSession

PHONE_TOOLS: Final = frozenset({KEYPAD_TOOL, TRANSFER_TOOL})
"""The names of the tools only phone calls get."""


def phone_tools(
    phone: PhoneConfig, *, press: PressKeys, transfer: TransferStarter
) -> list[llm.Tool]:
    """The phone-only tools the config enables, after the agent's other tools."""
    tools: list[llm.Tool] = []
    if phone.dtmf:
        tools.append(keypad_tool(press))
    if phone.transfer_targets:
        tools.append(transfer_call_tool(transfer))
    return tools


class _NeverUsed:
    """Stands in for the keypad and the transfer of tools that are described, never called."""

    def __init__(self, phone: PhoneConfig) -> None:
        self.phone = phone

    async def press(self, digits: str) -> None:
        return None

    def start(self, session: AgentSession, target: str, briefing: str | None = None) -> bool:
        return False


def described_phone_tools(phone: PhoneConfig) -> list[llm.Tool]:
    """The phone-only tools of the config, to describe them."""
    never = _NeverUsed(phone)
    return phone_tools(phone, press=never.press, transfer=never)
