"""Page parameters and the `{"<items>": [...], "total", "page", "per_page", "total_pages"}` shape."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar.params import Parameter
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def provide_page(
    page: int = Parameter(ge=1, default=1, description="Page number, from 1"),
    per_page: int = Parameter(ge=1, le=100, default=25, description="Items per page (max 100)"),
) -> Page:
    return Page(page=page, per_page=per_page)


async def paginate(
    session: AsyncSession, statement: SelectOfScalar[T], page: Page
) -> tuple[list[T], int]:
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    total = (await session.exec(count_statement)).one()
    rows = await session.exec(statement.offset(page.offset).limit(page.per_page))
    return list(rows.all()), int(total)


def page_body(key: str, items: list[Any], total: int, page: Page) -> dict[str, Any]:
    return {
        key: items,
        "total": total,
        "page": page.page,
        "per_page": page.per_page,
        "total_pages": math.ceil(total / page.per_page) if total else 0,
    }
