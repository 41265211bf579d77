"""The baseline: a Litestar app whose one endpoint does nothing but answer JSON."""

from litestar import Litestar, post


@post("/noop", status_code=200)
async def noop() -> dict[str, str]:
    return {"status": "ok"}


app = Litestar(route_handlers=[noop])
