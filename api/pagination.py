"""Page parameters and the paginated list shape of API.md."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from litestar.params import QueryParameter
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from api.schemas import ResponseBody

T = TypeVar("T")

MAX_PAGE = 1_000_000
"""Keeps the row offset (page x per_page) far inside what every database accepts."""


@dataclass(frozen=True, slots=True)
class Page:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def provide_page(
    page: Annotated[
        int, QueryParameter(ge=1, le=MAX_PAGE, description=f"Page number, from 1 to {MAX_PAGE:,}")
    ] = 1,
    per_page: Annotated[
        int, QueryParameter(ge=1, le=100, description="Items per page (max 100)")
    ] = 25,
) -> Page:
    return Page(page=page, per_page=per_page)


class Paginated(ResponseBody):
    """The page fields of every paginated list; each list adds its items field, named for what
    it holds (`agents`, `sessions`, ...)."""

    total: int
    """Items across all pages."""
    page: int
    """This page's number, from 1."""
    per_page: int
    """Items per page, as requested (max 100)."""
    total_pages: int
    """Pages in all (0 when there are no items); a `page` past it comes back empty."""


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
