"""Trunks named by the transfer targets of an agent's config, checked when it is saved."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from agent_worker.contracts import AgentSpec
from api.errors import NotFound
from api.telephony.models import SipTrunk


async def require_target_trunks(db: AsyncSession, project_id: str, spec: AgentSpec) -> None:
    """404 naming the target's `trunk_id` when it is not one of the project's trunks."""
    for index, target in enumerate(spec.phone.transfer_targets):
        if target.trunk_id is None:
            continue
        trunk = await db.get(SipTrunk, target.trunk_id)
        if trunk is None or trunk.project_id != project_id:
            raise NotFound(
                "Trunk not found",
                details={"field": f"phone.transfer_targets.{index}.trunk_id"},
            )
