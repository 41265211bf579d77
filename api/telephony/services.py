"""Trunks and phone lines: LiveKit holds the SIP objects, our rows hold their ids.

Every write goes to LiveKit first and is undone there if our commit fails, so LiveKit never
keeps a trunk or rule that no row points at (a stray rule would keep answering calls).
"""

from __future__ import annotations

from typing import Any

from livekit import api as lk
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from api.agents.services import AgentService
from api.db import get_owned, scoped, utcnow
from api.errors import Conflict, NotFound
from api.ids import new_id
from api.pagination import Page, paginate
from api.telephony.livekit_sip import api_error, delete_quietly, sip_call
from api.telephony.models import SipPhoneLine, SipTrunk
from api.telephony.schemas import (
    InboundRead,
    InboundSpec,
    OutboundRead,
    OutboundSpec,
    PhoneLineCreate,
    PhoneLineRead,
    PhoneLineUpdate,
    TrunkCreate,
    TrunkRead,
    TrunkUpdate,
)
from sip import SipError
from sip.livekit_requests import (
    InboundTrunk,
    OutboundTrunk,
    PhoneLine,
    dispatch_rule_info,
    inbound_trunk_request,
    outbound_trunk_request,
)

LINE_ROOM_MARK = "sip"
"""Rooms of phone calls are named `<project prefix>sip_<caller>_<random>` by LiveKit."""


def trunk_read(row: SipTrunk) -> TrunkRead:
    return TrunkRead(
        id=row.id,
        name=row.name,
        numbers=row.numbers,
        inbound=InboundRead(**row.inbound) if row.inbound is not None else None,
        outbound=OutboundRead(**row.outbound) if row.outbound is not None else None,
        inbound_trunk_id=row.inbound_trunk_id,
        outbound_trunk_id=row.outbound_trunk_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def line_read(row: SipPhoneLine) -> PhoneLineRead:
    return PhoneLineRead(
        id=row.id,
        name=row.name,
        phone_number=row.phone_number,
        trunk_id=row.trunk_id,
        agent_config_id=row.agent_id,
        dtmf_enabled=row.dtmf_enabled,
        max_call_duration=row.max_call_duration,
        record=row.record,
        dispatch_rule_id=row.dispatch_rule_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _inbound_shown(spec: InboundSpec) -> dict[str, Any]:
    return {"allowed_addresses": spec.allowed_addresses, "auth_username": spec.auth_username}


def _outbound_shown(spec: OutboundSpec) -> dict[str, Any]:
    return {
        "address": spec.address,
        "transport": spec.transport,
        "auth_username": spec.auth_username,
    }


def _inbound(name: str, numbers: list[str], spec: InboundSpec) -> InboundTrunk:
    return InboundTrunk(
        name=name,
        numbers=tuple(numbers),
        allowed_addresses=tuple(spec.allowed_addresses),
        auth_username=spec.auth_username or "",
        auth_password=spec.password(),
    )


def _outbound(name: str, numbers: list[str], spec: OutboundSpec) -> OutboundTrunk:
    return OutboundTrunk(
        name=name,
        numbers=tuple(numbers),
        address=spec.address,
        transport=spec.transport,
        auth_username=spec.auth_username or "",
        auth_password=spec.password(),
    )


def line_spec(spec: AgentSpec, line: SipPhoneLine) -> AgentSpec:
    """The agent's config for a call on the line: its duration capped, recording forced on
    when the line records, the keypad off when the line has no DTMF, no answering-machine
    detection."""
    return spec.model_copy(
        update={
            "max_duration_s": min(spec.max_duration_s, line.max_call_duration),
            "privacy": spec.privacy.model_copy(
                update={"record_audio": spec.privacy.record_audio or line.record}
            ),
            "phone": spec.phone.model_copy(
                update={
                    "dtmf": spec.phone.dtmf and line.dtmf_enabled,
                    # the caller called us: nobody's answering machine answers
                    "voicemail": spec.phone.voicemail.model_copy(update={"detect": False}),
                }
            ),
        }
    )


class TrunkService:
    def __init__(self, session: AsyncSession, livekit: lk.LiveKitAPI) -> None:
        self.session = session
        self.sip = livekit.sip

    async def get(self, project_id: str, trunk_id: str) -> SipTrunk:
        return await get_owned(self.session, SipTrunk, trunk_id, project_id, "Trunk")

    async def list_trunks(self, project_id: str, page: Page) -> tuple[list[TrunkRead], int]:
        statement = scoped(SipTrunk, project_id).order_by(col(SipTrunk.created_at))
        rows, total = await paginate(self.session, statement, page)
        return [trunk_read(row) for row in rows], total

    async def _create_inbound(self, name: str, numbers: list[str], spec: InboundSpec) -> str:
        try:
            request = inbound_trunk_request(_inbound(name, numbers, spec))
        except SipError as exc:
            raise api_error(exc) from exc
        async with sip_call("Inbound trunk"):
            return str((await self.sip.create_inbound_trunk(request)).sip_trunk_id)

    async def _create_outbound(self, name: str, numbers: list[str], spec: OutboundSpec) -> str:
        try:
            request = outbound_trunk_request(_outbound(name, numbers, spec))
        except SipError as exc:
            raise api_error(exc) from exc
        async with sip_call("Outbound trunk"):
            return str((await self.sip.create_outbound_trunk(request)).sip_trunk_id)

    async def _delete_livekit_trunk(self, trunk_id: str | None) -> None:
        if trunk_id:
            await delete_quietly(
                "trunk", self.sip.delete_trunk(lk.DeleteSIPTrunkRequest(sip_trunk_id=trunk_id))
            )

    async def create(self, project_id: str, data: TrunkCreate) -> TrunkRead:
        created: list[str] = []
        try:
            inbound_id = outbound_id = None
            if data.inbound is not None:
                inbound_id = await self._create_inbound(data.name, data.numbers, data.inbound)
                created.append(inbound_id)
            if data.outbound is not None:
                outbound_id = await self._create_outbound(data.name, data.numbers, data.outbound)
                created.append(outbound_id)
            row = SipTrunk(
                id=new_id("trk"),
                project_id=project_id,
                name=data.name,
                numbers=data.numbers,
                inbound=_inbound_shown(data.inbound) if data.inbound else None,
                outbound=_outbound_shown(data.outbound) if data.outbound else None,
                inbound_trunk_id=inbound_id,
                outbound_trunk_id=outbound_id,
            )
            self.session.add(row)
            await self.session.commit()
        except BaseException:
            for trunk_id in created:
                await self._delete_livekit_trunk(trunk_id)
            raise
        return trunk_read(row)

    async def _lines_using(self, project_id: str, trunk_id: str) -> list[SipPhoneLine]:
        statement = scoped(SipPhoneLine, project_id).where(SipPhoneLine.trunk_id == trunk_id)
        return list((await self.session.exec(statement)).all())

    async def update(self, project_id: str, trunk_id: str, changes: TrunkUpdate) -> TrunkRead:
        row = await self.get(project_id, trunk_id)
        name = changes.name or row.name
        numbers = changes.numbers or row.numbers
        if changes.numbers is not None:
            in_use = {line.phone_number for line in await self._lines_using(project_id, row.id)}
            if in_use - set(numbers):
                raise Conflict(
                    "A phone line uses a number this update removes; delete the line first",
                    details={"field": "numbers"},
                )
        await self._update_inbound(row, name, numbers, changes.inbound)
        await self._update_outbound(row, name, numbers, changes.outbound)
        row.name, row.numbers, row.updated_at = name, list(numbers), utcnow()
        self.session.add(row)
        await self.session.commit()
        return trunk_read(row)

    async def _update_inbound(
        self, row: SipTrunk, name: str, numbers: list[str], spec: InboundSpec | None
    ) -> None:
        if row.inbound_trunk_id is None:
            if spec is not None:
                row.inbound_trunk_id = await self._create_inbound(name, numbers, spec)
                row.inbound = _inbound_shown(spec)
            return
        async with sip_call("Inbound trunk"):
            if spec is None:
                await self.sip.update_inbound_trunk_fields(
                    row.inbound_trunk_id, name=name, numbers=list(numbers)
                )
                return
            # A given side is replaced whole: field updates cannot empty a list (LiveKit
            # refuses an empty `set`, and the client drops `clear`).
            try:
                request = inbound_trunk_request(_inbound(name, numbers, spec))
            except SipError as exc:
                raise api_error(exc) from exc
            await self.sip.update_inbound_trunk(row.inbound_trunk_id, request.trunk)
        row.inbound = _inbound_shown(spec)

    async def _update_outbound(
        self, row: SipTrunk, name: str, numbers: list[str], spec: OutboundSpec | None
    ) -> None:
        if row.outbound_trunk_id is None:
            if spec is not None:
                row.outbound_trunk_id = await self._create_outbound(name, numbers, spec)
                row.outbound = _outbound_shown(spec)
            return
        async with sip_call("Outbound trunk"):
            if spec is None:
                await self.sip.update_outbound_trunk_fields(
                    row.outbound_trunk_id, name=name, numbers=list(numbers)
                )
                return
            try:
                request = outbound_trunk_request(_outbound(name, numbers, spec))
            except SipError as exc:
                raise api_error(exc) from exc
            await self.sip.update_outbound_trunk(row.outbound_trunk_id, request.trunk)
        row.outbound = _outbound_shown(spec)

    async def delete(self, project_id: str, trunk_id: str) -> None:
        row = await self.get(project_id, trunk_id)
        if await self._lines_using(project_id, row.id):
            raise Conflict("Phone lines still use this trunk; delete them first")
        await self.session.delete(row)
        await self.session.commit()
        await self._delete_livekit_trunk(row.inbound_trunk_id)
        await self._delete_livekit_trunk(row.outbound_trunk_id)


class PhoneLineService:
    """Phone lines: each is one LiveKit dispatch rule that puts every call to the number in a
    fresh room; the line's agent follows per call (`api.telephony.inbound`)."""

    def __init__(self, session: AsyncSession, livekit: lk.LiveKitAPI) -> None:
        self.session = session
        self.sip = livekit.sip

    async def get(self, project_id: str, line_id: str) -> SipPhoneLine:
        return await get_owned(self.session, SipPhoneLine, line_id, project_id, "Phone line")

    async def list_lines(self, project_id: str, page: Page) -> tuple[list[PhoneLineRead], int]:
        statement = scoped(SipPhoneLine, project_id).order_by(col(SipPhoneLine.created_at))
        rows, total = await paginate(self.session, statement, page)
        return [line_read(row) for row in rows], total

    async def _trunk_for(self, project_id: str, data: PhoneLineCreate) -> SipTrunk:
        if data.trunk_id is not None:
            trunk = await get_owned(self.session, SipTrunk, data.trunk_id, project_id, "Trunk")
            if data.phone_number not in trunk.numbers:
                raise Conflict(
                    "The number is not one of the trunk's numbers",
                    details={"field": "phone_number"},
                )
        else:
            trunks = [
                trunk
                for trunk in (await self.session.exec(scoped(SipTrunk, project_id))).all()
                if data.phone_number in trunk.numbers and trunk.inbound_trunk_id
            ]
            if not trunks:
                raise NotFound(
                    "No inbound trunk of this project carries the number",
                    details={"field": "phone_number"},
                )
            if len(trunks) > 1:
                raise Conflict(
                    "Several trunks carry the number: name one with trunk_id",
                    details={"field": "trunk_id"},
                )
            trunk = trunks[0]
        if trunk.inbound_trunk_id is None:
            raise Conflict("The trunk takes no inbound calls", details={"field": "trunk_id"})
        return trunk

    async def _rule(
        self, line: SipPhoneLine, trunk: SipTrunk, room_prefix: str
    ) -> lk.SIPDispatchRuleInfo:
        # The agent must exist now; it is dispatched per call (see `api.telephony.inbound`).
        await AgentService(self.session).get(line.project_id, line.agent_id)
        if trunk.inbound_trunk_id is None:
            raise Conflict("The trunk takes no inbound calls", details={"field": "trunk_id"})
        return dispatch_rule_info(
            PhoneLine(
                name=line.name,
                trunk_id=trunk.inbound_trunk_id,
                phone_number=line.phone_number,
                room_prefix=f"{room_prefix}{LINE_ROOM_MARK}",
            )
        )

    async def _taken(self, trunk_id: str, phone_number: str) -> bool:
        statement = select(SipPhoneLine.id).where(
            SipPhoneLine.trunk_id == trunk_id, SipPhoneLine.phone_number == phone_number
        )
        return (await self.session.exec(statement)).first() is not None

    async def create(
        self, project_id: str, room_prefix: str, data: PhoneLineCreate
    ) -> PhoneLineRead:
        trunk = await self._trunk_for(project_id, data)
        if await self._taken(trunk.id, data.phone_number):
            raise Conflict("The number already has a phone line", details={"field": "phone_number"})
        line = SipPhoneLine(
            id=new_id("sipl"),
            project_id=project_id,
            trunk_id=trunk.id,
            agent_id=data.agent_config_id,
            name=data.name,
            phone_number=data.phone_number,
            dtmf_enabled=data.dtmf_enabled,
            max_call_duration=data.max_call_duration,
            record=data.record,
        )
        rule = await self._rule(line, trunk, room_prefix)
        async with sip_call("Dispatch rule"):
            created = await self.sip.create_dispatch_rule(
                lk.CreateSIPDispatchRuleRequest(dispatch_rule=rule)
            )
        line.dispatch_rule_id = created.sip_dispatch_rule_id
        try:
            self.session.add(line)
            await self.session.commit()
        except BaseException as exc:
            await self._delete_rule(line.dispatch_rule_id)
            if isinstance(exc, IntegrityError):
                raise Conflict(
                    "The number already has a phone line", details={"field": "phone_number"}
                ) from exc
            raise
        return line_read(line)

    async def _delete_rule(self, rule_id: str | None) -> None:
        if rule_id:
            await delete_quietly(
                "dispatch rule",
                self.sip.delete_dispatch_rule(
                    lk.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule_id)
                ),
            )

    async def update(
        self, project_id: str, room_prefix: str, line_id: str, changes: PhoneLineUpdate
    ) -> PhoneLineRead:
        line = await self.get(project_id, line_id)
        patch = changes.model_dump(exclude_unset=True, exclude_none=True)
        if "agent_config_id" in patch:
            line.agent_id = patch.pop("agent_config_id")
        for field, value in patch.items():
            setattr(line, field, value)
        trunk = await get_owned(self.session, SipTrunk, line.trunk_id, project_id, "Trunk")
        rule = await self._rule(line, trunk, room_prefix)
        async with sip_call("Dispatch rule"):
            if line.dispatch_rule_id:
                await self.sip.update_dispatch_rule(line.dispatch_rule_id, rule)
            else:
                created = await self.sip.create_dispatch_rule(
                    lk.CreateSIPDispatchRuleRequest(dispatch_rule=rule)
                )
                line.dispatch_rule_id = created.sip_dispatch_rule_id
        line.updated_at = utcnow()
        self.session.add(line)
        await self.session.commit()
        return line_read(line)

    async def delete(self, project_id: str, line_id: str) -> None:
        line = await self.get(project_id, line_id)
        await self.session.delete(line)
        await self.session.commit()
        await self._delete_rule(line.dispatch_rule_id)
