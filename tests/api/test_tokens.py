"""POST /token: explicit safe grants, short TTL, prefixed room, explicit agent dispatch."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import httpx
import jwt
import pytest
from aiohttp import web
from livekit import api as lk

from agent_worker.contracts import AGENT_NAME, DispatchMetadata
from api.app import create_app
from tests.services import free_port, served

pytestmark = pytest.mark.integration

DANGEROUS = {"roomCreate", "roomList", "roomRecord", "roomAdmin", "ingressAdmin", "agent"}


def decode(token: str, livekit) -> dict:
    return jwt.decode(token, livekit.api_secret, algorithms=["HS256"], issuer=livekit.api_key)


async def test_token_has_explicit_grants_and_short_ttl(client, admin, livekit):
    response = await client.post(
        "/api/v1/token", json={"identity": "caller-1", "room": "support"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    claims = decode(body["token"], livekit)
    video = claims["video"]
    assert video["roomJoin"] is True
    assert video["room"] == body["room"]
    assert body["room"].endswith("_support") and body["room"] != "support"
    assert video["canPublish"] is True
    assert video["canSubscribe"] is True
    assert video["canPublishData"] is True
    assert not DANGEROUS & set(video)
    assert "sip" not in claims and "agent" not in claims
    assert claims["sub"] == "caller-1"
    assert claims["exp"] - claims["nbf"] == 600
    assert body["wsUrl"].startswith("ws://")
    assert body["agents_dispatched"] == []


async def test_listen_only_grants_are_kept_explicitly_false(client, admin, livekit):
    response = await client.post(
        "/api/v1/token",
        json={
            "identity": "listener",
            "room": "r",
            "ttl": 3600,
            "grants": {"canPublish": False, "canPublishData": False},
        },
        headers=admin.headers,
    )
    claims = decode(response.json()["token"], livekit)
    assert claims["video"]["canPublish"] is False
    assert claims["video"]["canPublishData"] is False
    assert claims["exp"] - claims["nbf"] == 3600


@pytest.mark.parametrize("grant", ["roomAdmin", "roomCreate", "agent", "roomRecord"])
async def test_dangerous_grants_are_refused(client, admin, grant):
    response = await client.post(
        "/api/v1/token",
        json={"identity": "x", "room": "r", "grants": {grant: True}},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["details"]["field"] == f"grants.{grant}"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"identity": "x", "room": "r", "ttl": 7200}, "ttl"),
        ({"identity": "x", "room": "bad room!"}, "room"),
        ({"identity": "", "room": "r"}, "identity"),
        # Strict JSON types, as the OpenAPI document says: no number as a string, no 0 as false.
        ({"identity": "x", "room": "r", "ttl": "600"}, "ttl"),
        ({"identity": "x", "room": "r", "ttl": 600.5}, "ttl"),
        ({"identity": "x", "room": "r", "grants": {"hidden": 0}}, "grants.hidden"),
    ],
)
async def test_bad_token_requests_name_the_field(client, admin, body, field):
    response = await client.post("/api/v1/token", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["details"]["field"] == field


async def test_a_whole_number_written_as_a_float_is_an_integer(client, admin, livekit):
    # JSON Schema counts 900.0 as the integer 900; msgspec's strict int alone would refuse it.
    response = await client.post(
        "/api/v1/token", json={"identity": "x", "room": "r", "ttl": 900.0}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    claims = decode(response.json()["token"], livekit)
    assert claims["exp"] - claims["nbf"] == 900


async def test_token_dispatches_the_agent_with_a_config_snapshot(client, admin, livekit):
    agent = (
        await client.post(
            "/api/v1/agents",
            json={"name": "Front desk", "first_message": "Hello!"},
            headers=admin.headers,
        )
    ).json()
    response = await client.post(
        "/api/v1/token",
        json={"identity": "caller", "room": "desk", "agent_config_id": agent["id"]},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agents_dispatched"] == [agent["id"]]
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as api:
        # LiveKit also lists its automatic dispatch for unnamed workers; ours is named.
        dispatches = [
            d for d in await api.agent_dispatch.list_dispatch(body["room"]) if d.agent_name
        ]
    assert [d.agent_name for d in dispatches] == [AGENT_NAME]
    metadata = DispatchMetadata.model_validate_json(dispatches[0].metadata)
    assert metadata.agent.first_message == "Hello!"
    assert metadata.session_id == body["sessions"][0]["session_id"]
    assert metadata.room == body["room"]


async def test_idempotency_key_replays_without_a_second_dispatch(client, admin, livekit):
    agent = (await client.post("/api/v1/agents", json={"name": "A"}, headers=admin.headers)).json()
    request = {"identity": "caller", "room": "idem", "agent_config_id": agent["id"]}
    headers = {**admin.headers, "Idempotency-Key": "call-42"}
    first = (await client.post("/api/v1/token", json=request, headers=headers)).json()
    second = (await client.post("/api/v1/token", json=request, headers=headers)).json()
    assert first == second
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as api:
        dispatches = await api.agent_dispatch.list_dispatch(first["room"])
    assert len([d for d in dispatches if d.agent_name == AGENT_NAME]) == 1
    reused = await client.post(
        "/api/v1/token", json={**request, "identity": "other"}, headers=headers
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "CONFLICT"


async def test_inactive_or_missing_agents_are_refused(client, admin):
    agent = (
        await client.post(
            "/api/v1/agents", json={"name": "Off", "is_active": False}, headers=admin.headers
        )
    ).json()
    inactive = await client.post(
        "/api/v1/token",
        json={"identity": "c", "room": "r", "agent_config_id": agent["id"]},
        headers=admin.headers,
    )
    assert inactive.status_code == 409
    missing = await client.post(
        "/api/v1/token",
        json={"identity": "c", "room": "r", "agent_config_ids": ["agt_nope"]},
        headers=admin.headers,
    )
    assert missing.status_code == 404
    both = await client.post(
        "/api/v1/token",
        json={"identity": "c", "room": "r", "agent_config_id": agent["id"], "no_agent": True},
        headers=admin.headers,
    )
    assert both.status_code == 422


async def test_idempotency_key_is_documented_and_bounded(client, admin):
    schema = (await client.get("/schema/openapi.json")).json()
    parameters = schema["paths"]["/api/v1/token"]["post"]["parameters"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= parameters[0].items()
    too_long = await client.post(
        "/api/v1/token",
        json={"identity": "c", "room": "r"},
        headers={**admin.headers, "Idempotency-Key": "k" * 256},
    )
    assert too_long.status_code == 400
    assert too_long.json()["details"] == {"header": "Idempotency-Key"}


class LiveKitHop:
    """A real HTTP hop in front of livekit-server that counts the rooms the API asks it to
    create, answers them slowly (a loaded LiveKit), and can cut the first one's connection
    (LiveKit unreachable). Every request still goes to, and is answered by, the real server.
    """

    CREATE_ROOM = "/twirp/livekit.RoomService/CreateRoom"

    def __init__(self, upstream: str, *, delay_s: float = 0.2, cut_first: bool = False) -> None:
        self.upstream = upstream
        self.delay_s = delay_s
        self.cut_first = cut_first
        self.creates = 0

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if request.path == self.CREATE_ROOM:
            self.creates += 1
            await asyncio.sleep(self.delay_s)
            if self.cut_first and self.creates == 1:
                assert request.transport is not None
                request.transport.abort()
                raise ConnectionResetError
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED}
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                request.method, self.upstream + request.path_qs, data=body, headers=headers
            ) as upstream,
        ):
            return web.Response(
                status=upstream.status,
                body=await upstream.read(),
                content_type=upstream.content_type,
            )

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[str]:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


_FORWARDED = {"authorization", "content-type", "accept"}


async def _livekit_rooms(livekit) -> list[str]:
    async with lk.LiveKitAPI(livekit.url, livekit.api_key, livekit.api_secret) as api:
        return [room.name for room in (await api.room.list_rooms(lk.ListRoomsRequest())).rooms]


async def test_callers_joining_a_new_room_at_once_create_it_once(settings, admin, livekit):
    hop = LiveKitHop(livekit.url)
    async with hop.serving() as livekit_url:
        app = create_app(settings.model_copy(update={"livekit_url": livekit_url}))
        async with served(app) as url, httpx.AsyncClient(base_url=url) as http:
            responses = await asyncio.gather(
                *(
                    http.post(
                        "/api/v1/token",
                        json={"identity": f"caller-{i}", "room": "town-hall"},
                        headers=admin.headers,
                    )
                    for i in range(20)
                )
            )
    assert [r.status_code for r in responses] == [200] * 20
    assert hop.creates == 1
    assert responses[0].json()["room"] in await _livekit_rooms(livekit)


async def test_a_failed_room_check_is_shared_then_retried(settings, admin, livekit):
    hop = LiveKitHop(livekit.url, cut_first=True)
    body = {"identity": "caller", "room": "stand-up"}
    async with hop.serving() as livekit_url:
        app = create_app(settings.model_copy(update={"livekit_url": livekit_url}))
        async with served(app) as url, httpx.AsyncClient(base_url=url) as http:
            first = await asyncio.gather(
                *(http.post("/api/v1/token", json=body, headers=admin.headers) for _ in range(10))
            )
            assert [r.status_code for r in first] == [503] * 10
            assert first[0].json()["code"] == "UNAVAILABLE"
            again = await http.post("/api/v1/token", json=body, headers=admin.headers)
    assert again.status_code == 200, again.text
    assert hop.creates == 2
    assert again.json()["room"] in await _livekit_rooms(livekit)
