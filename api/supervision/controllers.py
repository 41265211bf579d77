from __future__ import annotations

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.auth import WRITE
from api.openapi import errors
from api.projects.schemas import Principal
from api.resources import Resources
from api.sessions.schemas import SessionId
from api.supervision.schemas import SayRequest, SupervisionResult, SupervisorJoin, WhisperRequest
from api.supervision.services import SupervisionService

# 409: the session has ended, has no agent, or its agent is not in the room (handback: the
# call is not taken over); 503: LiveKit is unreachable.
SUPERVISE = WRITE | errors(409, 503)


class SupervisionController(Controller):
    """A human supervising a live agent call (write or admin keys)."""

    path = "/sessions"
    tags = ["sessions"]

    @post(
        "/{session_id:str}/whisper", operation_id="whisperToAgent", opt=SUPERVISE, status_code=200
    )
    async def whisper(
        self,
        session_id: SessionId,
        data: JSONBody[WhisperRequest],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SupervisionResult:
        """Guide the agent: the text joins its LLM context only (never spoken, never heard by
        the caller), and its next answers follow it."""
        await SupervisionService(resources, principal).whisper(session_id, data.text)
        return SupervisionResult(session_id=session_id, action="whisper")

    @post("/{session_id:str}/say", operation_id="makeAgentSay", opt=SUPERVISE, status_code=200)
    async def say(
        self,
        session_id: SessionId,
        data: JSONBody[SayRequest],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SupervisionResult:
        """Have the agent speak the given text now."""
        service = SupervisionService(resources, principal)
        await service.say(session_id, data.text, data.allow_interruptions)
        return SupervisionResult(session_id=session_id, action="say")

    @post(
        "/{session_id:str}/listen", operation_id="listenToSession", opt=SUPERVISE, status_code=200
    )
    async def listen(
        self,
        session_id: SessionId,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SupervisorJoin:
        """A token (5 minutes to join) for a hidden participant who hears both sides, may
        publish nothing, and is absent from the others' participant lists."""
        return await SupervisionService(resources, principal).listen(session_id)

    @post(
        "/{session_id:str}/takeover", operation_id="takeOverSession", opt=SUPERVISE, status_code=200
    )
    async def takeover(
        self,
        session_id: SessionId,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SupervisorJoin:
        """The agent stops speaking and stops answering; the token (5 minutes to join) lets a
        supervisor speak to the caller with a microphone (and nothing else)."""
        return await SupervisionService(resources, principal).takeover(session_id)

    @post(
        "/{session_id:str}/handback", operation_id="handBackSession", opt=SUPERVISE, status_code=200
    )
    async def handback(
        self,
        session_id: SessionId,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> SupervisionResult:
        """The agent answers again, with what the caller said meanwhile in its context."""
        await SupervisionService(resources, principal).handback(session_id)
        return SupervisionResult(session_id=session_id, action="handback")
