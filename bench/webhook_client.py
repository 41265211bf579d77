"""CPU per request of the webhook delivery client against httpx, on a local receiver.

Why `api.webhooks.delivery.delivery_client` is aiohttp: it POSTs `--requests` bodies to a
receiver in another process, `--connections` at a time, once through the delivery client (its
SSRF-vetting resolver included) and once through an httpx client with the same pool size, and
prints this process's CPU time per request for each.

    python -m bench.webhook_client [--requests 2000] [--connections 8 50]

Run it inside a loopback-only namespace, like the tests (`make test` shows how).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from api.webhooks.delivery import delivery_client
from api.webhooks.settings import WebhookSettings
from tests.services import free_port

RECEIVER = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})

uvicorn.run(app, host="127.0.0.1", port=%d, log_level="warning")
"""
BODY = json.dumps({"event_type": "transcript.new", "data": {"content": "x" * 200}}).encode()


async def cpu_ms_per_request(
    post: Callable[[], Awaitable[None]], requests: int, connections: int
) -> float:
    gate = asyncio.Semaphore(connections)

    async def one() -> None:
        async with gate:
            await post()

    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(requests)))
    return round((time.process_time() - started) * 1000 / requests, 3)


async def compare(url: str, requests: int, connections: int) -> dict[str, object]:
    settings = WebhookSettings(url_allowlist=["localhost"], max_in_flight=connections)
    limits = httpx.Limits(max_connections=connections)
    async with (
        delivery_client(settings) as client,
        httpx.AsyncClient(limits=limits, trust_env=False) as other,
    ):

        async def with_delivery_client() -> None:
            async with client.post(url, data=BODY, allow_redirects=False) as response:
                await response.read()

        async def with_httpx() -> None:
            async with other.stream("POST", url, content=BODY) as response:
                await response.aread()

        delivery = await cpu_ms_per_request(with_delivery_client, requests, connections)
        plain = await cpu_ms_per_request(with_httpx, requests, connections)
    return {
        "connections": connections,
        "requests": requests,
        "delivery_client_cpu_ms_per_request": delivery,
        "httpx_cpu_ms_per_request": plain,
        "ratio": round(plain / delivery, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 50])
    args = parser.parse_args()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER % port])
    try:
        time.sleep(2)
        for connections in args.connections:
            result = asyncio.run(compare(f"http://localhost:{port}/in", args.requests, connections))
            print(json.dumps(result))
    finally:
        receiver.kill()


if __name__ == "__main__":
    main()
