"""Ends a session at its maximum duration or after a stretch of silence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from livekit.agents import AgentSession

LimitReason = Literal["max_duration", "silence"]
_POLL_S = 0.25


class SessionGuard:
    """Calls `on_limit` once, when the session hits a limit; `run()` then returns."""

    def __init__(
        self,
        session: AgentSession,
        *,
        max_duration_s: float,
        silence_s: float | None,
        on_limit: Callable[[LimitReason], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._max_duration_s = max_duration_s
        self._silence_s = silence_s
        self._on_limit = on_limit
        self._clock = clock
        self._last_activity = clock()
        session.on("user_state_changed", self._touch)
        session.on("agent_state_changed", self._touch)

    def _touch(self, _event: object) -> None:
        self._last_activity = self._clock()

    def _idle(self) -> bool:
        return self._session.user_state != "speaking" and self._session.agent_state not in (
            "speaking",
            "thinking",
        )

    async def run(self) -> None:
        deadline = self._clock() + self._max_duration_s
        while True:
            now = self._clock()
            if now >= deadline:
                self._on_limit("max_duration")
                return
            if (
                self._silence_s is not None
                and self._idle()
                and now - self._last_activity >= self._silence_s
            ):
                self._on_limit("silence")
                return
            await asyncio.sleep(min(_POLL_S, deadline - now))
