"""Telephony routes: SIP trunks, phone lines (`/sip/configs`), dial-out, and control of a live
phone call (`/sessions/{id}/dtmf`)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from api.auth import ADMIN, READ, WRITE
from api.deps import principal_of, resources_of
from api.idempotency import IdempotentOperation, idempotency_key, run_once
from api.openapi import errors, reads_body
from api.pagination import Page, page_body, provide_page
from api.projects.schemas import Principal
from api.requests import decode_body
from api.resources import Resources
from api.sessions.schemas import SessionId
from api.telephony.call_control import CallControlService
from api.telephony.call_control_schemas import CallControlResult, DtmfRequest, TransferRequest
from api.telephony.dial_schemas import DialRequest, DialResponse
from api.telephony.dialing import DialService
from api.telephony.scheduled_schemas import (
    ScheduledCallEnvelope,
    ScheduledCallId,
    ScheduledCallList,
)
from api.telephony.scheduling import ScheduledCallService
from api.telephony.schemas import (
    DiallingPolicyEnvelope,
    DiallingPolicyUpdate,
    PhoneLineCreate,
    PhoneLineEnvelope,
    PhoneLineId,
    PhoneLineList,
    PhoneLineUpdate,
    TrunkCreate,
    TrunkEnvelope,
    TrunkId,
    TrunkList,
    TrunkUpdate,
)
from api.telephony.services import PhoneLineService, TrunkService, line_read, trunk_read
from api.usage.quota import quota


class SipTrunkController(Controller):
    path = "/sip/trunks"
    tags = ["telephony"]
    dependencies = {"paging": Provide(provide_page, sync_to_thread=False)}

    @post(
        operation_id="createSipTrunk",
        summary="Create a SIP trunk",
        description="Creates LiveKit's inbound and/or outbound trunk for a carrier; "
        "passwords go to LiveKit and are never returned.",
        opt={**WRITE, **errors(409, 503)},
    )
    async def create_trunk(
        self,
        data: JSONBody[TrunkCreate],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> TrunkEnvelope:
        trunk = await TrunkService(db_session, resources.livekit).create(principal.project_id, data)
        return TrunkEnvelope(trunk=trunk)

    @get(operation_id="listSipTrunks", summary="List SIP trunks", opt=READ)
    async def list_trunks(
        self,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> TrunkList:
        trunks, total = await TrunkService(db_session, resources.livekit).list_trunks(
            principal.project_id, paging
        )
        return TrunkList(**page_body("trunks", trunks, total, paging))

    @get(
        "/{trunk_id:str}",
        operation_id="getSipTrunk",
        summary="Get a SIP trunk",
        opt={**READ, **errors(404)},
    )
    async def get_trunk(
        self,
        trunk_id: TrunkId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> TrunkEnvelope:
        row = await TrunkService(db_session, resources.livekit).get(principal.project_id, trunk_id)
        return TrunkEnvelope(trunk=trunk_read(row))

    @patch(
        "/{trunk_id:str}",
        operation_id="updateSipTrunk",
        summary="Update a SIP trunk",
        description="Name and numbers change in place; `inbound` or `outbound`, when given, "
        "replace that side whole (credentials left out are removed).",
        opt={**WRITE, **errors(404, 409, 503)},
    )
    async def update_trunk(
        self,
        trunk_id: TrunkId,
        data: JSONBody[TrunkUpdate],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> TrunkEnvelope:
        trunk = await TrunkService(db_session, resources.livekit).update(
            principal.project_id, trunk_id, data
        )
        return TrunkEnvelope(trunk=trunk)

    @delete(
        "/{trunk_id:str}",
        operation_id="deleteSipTrunk",
        summary="Delete a SIP trunk",
        description="Refused (409) while phone lines use it.",
        opt={**WRITE, **errors(404, 409)},
    )
    async def delete_trunk(
        self,
        trunk_id: TrunkId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> None:
        await TrunkService(db_session, resources.livekit).delete(principal.project_id, trunk_id)


class SipPhoneLineController(Controller):
    path = "/sip/configs"
    tags = ["telephony"]
    dependencies = {"paging": Provide(provide_page, sync_to_thread=False)}

    @post(
        operation_id="createSipConfig",
        summary="Create a phone line",
        description="Each call to the number gets its own room and the configured agent.",
        opt={**WRITE, **errors(404, 409, 503)} | quota("sip_configs"),
    )
    async def create_line(
        self,
        data: JSONBody[PhoneLineCreate],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> PhoneLineEnvelope:
        service = PhoneLineService(db_session, resources.livekit)
        line = await service.create(principal.project_id, principal.room_prefix, data)
        return PhoneLineEnvelope(config=line)

    @get(operation_id="listSipConfigs", summary="List phone lines", opt=READ)
    async def list_lines(
        self,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> PhoneLineList:
        service = PhoneLineService(db_session, resources.livekit)
        lines, total = await service.list_lines(principal.project_id, paging)
        return PhoneLineList(**page_body("configs", lines, total, paging))

    @get(
        "/{config_id:str}",
        operation_id="getSipConfig",
        summary="Get a phone line",
        opt={**READ, **errors(404)},
    )
    async def get_line(
        self,
        config_id: PhoneLineId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> PhoneLineEnvelope:
        service = PhoneLineService(db_session, resources.livekit)
        return PhoneLineEnvelope(
            config=line_read(await service.get(principal.project_id, config_id))
        )

    @patch(
        "/{config_id:str}",
        operation_id="updateSipConfig",
        summary="Update a phone line",
        description="Re-snapshots the agent's config into the line's dispatch rule.",
        opt={**WRITE, **errors(404, 409, 503)},
    )
    async def update_line(
        self,
        config_id: PhoneLineId,
        data: JSONBody[PhoneLineUpdate],
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> PhoneLineEnvelope:
        service = PhoneLineService(db_session, resources.livekit)
        line = await service.update(principal.project_id, principal.room_prefix, config_id, data)
        return PhoneLineEnvelope(config=line)

    @delete(
        "/{config_id:str}",
        operation_id="deleteSipConfig",
        summary="Delete a phone line",
        opt={**WRITE, **errors(404)},
    )
    async def delete_line(
        self,
        config_id: PhoneLineId,
        db_session: NamedDependency[AsyncSession],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> None:
        service = PhoneLineService(db_session, resources.livekit)
        await service.delete(principal.project_id, config_id)


class SipDialController(Controller):
    tags = ["telephony"]

    @post(
        "/sip/dial",
        operation_id="dialSip",
        summary="Place an outbound phone call",
        description="Checks the dialling policy (allowed countries, premium and high-cost "
        "numbers refused: 422; concurrent calls and daily minutes: 429) before any INVITE, "
        "then starts the call's room and agent and rings the number through the outbound "
        "trunk. With a future `scheduled_at` the checked call is queued instead (status "
        "`scheduled`, no token) and dialled when due; its caps are checked then.",
        operation_class=IdempotentOperation,
        opt={**WRITE, **errors(404, 409, 422, 429, 503), **reads_body(DialRequest)},
        status_code=201,
    )
    async def dial(self, request: Request[Any, Any, Any]) -> DialResponse:
        resources, principal = resources_of(request), principal_of(request)
        data = decode_body(await request.body(), DialRequest)
        service = ScheduledCallService(resources, principal)
        return await run_once(
            resources.redis,
            project_id=principal.project_id,
            operation="sip-dial",
            key=idempotency_key(request.scope),
            body=data,
            ttl_s=resources.settings.idempotency_ttl_s,
            response_type=DialResponse,
            action=lambda: service.place(data),
        )

    @get(
        "/sip/scheduled",
        operation_id="listSipScheduledCalls",
        summary="List scheduled outbound calls",
        description="Calls queued with `scheduled_at`, soonest first, with what became of "
        "each (dialled, failed, cancelled).",
        opt=READ,
        dependencies={"paging": Provide(provide_page, sync_to_thread=False)},
    )
    async def list_scheduled(
        self,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
        paging: NamedDependency[Page],
    ) -> ScheduledCallList:
        calls, total = await ScheduledCallService(resources, principal).list_scheduled(paging)
        return ScheduledCallList(**page_body("scheduled_calls", calls, total, paging))

    @delete(
        "/sip/scheduled/{call_id:str}",
        operation_id="cancelSipScheduledCall",
        summary="Cancel a scheduled outbound call",
        description="Only a call still waiting can be cancelled (409 once it is being "
        "dialled or done).",
        opt={**WRITE, **errors(404, 409)},
        status_code=200,
    )
    async def cancel_scheduled(
        self,
        call_id: ScheduledCallId,
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> ScheduledCallEnvelope:
        cancelled = await ScheduledCallService(resources, principal).cancel(call_id)
        return ScheduledCallEnvelope(scheduled_call=cancelled)

    @get(
        "/sip/policy",
        operation_id="getSipDiallingPolicy",
        summary="The project's dialling policy and outbound usage",
        opt=READ,
    )
    async def get_policy(
        self, resources: NamedDependency[Resources], principal: NamedDependency[Principal]
    ) -> DiallingPolicyEnvelope:
        policy = await DialService(resources, principal).read_policy()
        return DiallingPolicyEnvelope(policy=policy)

    @put(
        "/sip/policy",
        operation_id="setSipDiallingPolicy",
        summary="Set the project's dialling policy",
        description="Countries (E.164 prefixes) the project may call and its caps; without a "
        "policy a project calls nowhere. Premium-rate, shared-cost and high-cost numbers stay "
        "refused, and caps above the operator's are lowered to them.",
        opt=ADMIN,
    )
    async def set_policy(
        self,
        data: JSONBody[DiallingPolicyUpdate],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> DiallingPolicyEnvelope:
        policy = await DialService(resources, principal).set_policy(data)
        return DiallingPolicyEnvelope(policy=policy)


class CallControlController(Controller):
    """A live phone call's own controls, next to the supervisor's (write or admin keys)."""

    path = "/sessions"
    tags = ["sessions"]

    @post(
        "/{session_id:str}/dtmf",
        operation_id="sendSessionDtmf",
        summary="Press keypad keys on a phone call",
        description="The call's agent sends the digits to the phone as RFC 4733 events "
        "(e.g. to choose in a phone menu); a system transcript line records them. 409: not "
        "a phone call, ended, or no agent in the call.",
        opt={**WRITE, **errors(409, 503)},
        status_code=200,
    )
    async def dtmf(
        self,
        session_id: SessionId,
        data: JSONBody[DtmfRequest],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> CallControlResult:
        await CallControlService(resources, principal).send_dtmf(session_id, data.digits)
        return CallControlResult(session_id=session_id, action="dtmf")

    @post(
        "/{session_id:str}/transfer",
        operation_id="transferSession",
        summary="Transfer a phone call (cold or warm)",
        description="cold: sends the phone a SIP REFER to the target (LiveKit's "
        "TransferSIPParticipant) and answers once the phone reported the transfer done; the "
        "call then leaves Voxroom. warm: holds the caller, dials the target through the "
        "outbound trunk into the call, has the agent say the briefing, then connects caller "
        "and target and removes the agent; answers once connected (a target that does not "
        "answer: 409, the caller is back with the agent). `tel:` targets must pass the "
        "dialling policy (409); a warm transfer's call to the target counts against its caps "
        "(429 when the project's concurrent calls or daily minutes are used up, before the "
        "caller is put on hold). 409 also: not a phone call, ended, the phone refused the "
        "transfer, or a warm transfer to a `sip:` URI. 404: no such trunk_id.",
        opt={**WRITE, **errors(404, 409, 503)},
        status_code=200,
    )
    async def transfer(
        self,
        session_id: SessionId,
        data: JSONBody[TransferRequest],
        resources: NamedDependency[Resources],
        principal: NamedDependency[Principal],
    ) -> CallControlResult:
        service = CallControlService(resources, principal)
        if data.mode == "warm":
            await service.warm_transfer(session_id, data.to, data.briefing, data.trunk_id)
        else:
            await service.transfer(session_id, data.to)
        return CallControlResult(session_id=session_id, action="transfer")
