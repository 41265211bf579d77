"""Knowledge bases over the API: ingest, search, chunks, limits, isolation."""

import http.server
import threading

import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from kb.settings import KbSettings

pytestmark = pytest.mark.integration

FAQ = """# Riverside Clinic FAQ

## Opening hours
We are open Monday to Friday from 8 am to 6 pm, and Saturday mornings from 9 am to noon.

## Parking
Free parking is available behind the building on Elm Street.

## Payments
We accept cash, debit cards and all major credit cards.
"""

PRICES = (
    "service,price\nGeneral consultation,60 dollars\nBlood test,25 dollars\nFlu shot,15 dollars\n"
)


async def make_kb(client, headers, **body):
    response = await client.post(
        "/api/v1/knowledge-bases", json={"name": "FAQ", **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["knowledge_base"]


async def test_ingest_search_and_manage_chunks(client, admin):
    kb = await make_kb(client, admin.headers, description="clinic")
    upload = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/documents",
        files={"file": ("faq.md", FAQ.encode(), "text/markdown")},
        headers=admin.headers,
    )
    assert upload.status_code == 201, upload.text
    assert upload.json()["chunks_created"] >= 3
    prices = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/ingest",
        json={"content": PRICES, "source_name": "prices.csv"},
        headers=admin.headers,
    )
    assert prices.status_code == 201, prices.text

    found = await client.post(
        "/api/v1/knowledge/search",
        json={"knowledge_base_id": kb["id"], "query": "where can I leave my car?", "top_k": 3},
        headers=admin.headers,
    )
    assert found.status_code == 200, found.text
    assert "parking" in found.json()["results"][0]["content"].lower()
    cost = await client.post(
        "/api/v1/knowledge/search",
        json={"knowledge_base_id": kb["id"], "query": "how much is a flu shot", "top_k": 3},
        headers=admin.headers,
    )
    assert "15 dollars" in cost.json()["results"][0]["content"]

    detail = (
        await client.get(f"/api/v1/knowledge-bases/{kb['id']}", headers=admin.headers)
    ).json()["knowledge_base"]
    assert detail["chunk_count"] >= 4
    assert detail["indexing_status"] == "ready"
    assert detail["last_indexed_at"] is not None

    # Uploading the same document again replaces its chunks instead of adding to them.
    again = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/documents",
        files={"file": ("faq.md", FAQ.encode(), "text/markdown")},
        headers=admin.headers,
    )
    assert again.status_code == 201
    same = (await client.get(f"/api/v1/knowledge-bases/{kb['id']}", headers=admin.headers)).json()[
        "knowledge_base"
    ]
    assert same["chunk_count"] == detail["chunk_count"]

    chunks = (
        await client.get(
            f"/api/v1/knowledge-bases/{kb['id']}/chunks?per_page=2", headers=admin.headers
        )
    ).json()
    assert chunks["total"] == detail["chunk_count"]
    assert len(chunks["chunks"]) == 2
    assert all(len(c["content"]) <= 200 for c in chunks["chunks"])
    chunk_id = chunks["chunks"][0]["id"]
    edited = await client.put(
        f"/api/v1/knowledge-bases/{kb['id']}/chunks/{chunk_id}",
        json={"content": "Our dentist, Dr. Moreau, sees patients on Thursdays."},
        headers=admin.headers,
    )
    assert edited.status_code == 200, edited.text
    dentist = (
        await client.post(
            "/api/v1/knowledge/search",
            json={"knowledge_base_id": kb["id"], "query": "which day is the dentist in"},
            headers=admin.headers,
        )
    ).json()["results"][0]
    assert dentist["chunk_id"] == chunk_id
    assert (
        await client.delete(
            f"/api/v1/knowledge-bases/{kb['id']}/chunks/{chunk_id}", headers=admin.headers
        )
    ).status_code == 200
    reindexed = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/reindex", headers=admin.headers
    )
    assert reindexed.json()["chunks_reindexed"] == detail["chunk_count"] - 1

    listed = (await client.get("/api/v1/knowledge-bases", headers=admin.headers)).json()
    assert listed["total"] == 1
    assert (
        await client.delete(f"/api/v1/knowledge-bases/{kb['id']}", headers=admin.headers)
    ).status_code == 200
    assert (
        await client.get(f"/api/v1/knowledge-bases/{kb['id']}", headers=admin.headers)
    ).status_code == 404


async def test_upload_limits_and_types(client, admin):
    kb = await make_kb(client, admin.headers)
    url = f"/api/v1/knowledge-bases/{kb['id']}/documents"
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    unsupported = await client.post(
        url, files={"file": ("notes.txt", png, "text/plain")}, headers=admin.headers
    )
    assert unsupported.status_code == 415
    assert unsupported.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    huge = await client.post(
        url, files={"file": ("big.txt", b"a" * (12 * 1024 * 1024))}, headers=admin.headers
    )
    assert huge.status_code == 413
    assert huge.json()["code"] == "PAYLOAD_TOO_LARGE"
    empty = await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/ingest", json={"content": ""}, headers=admin.headers
    )
    assert empty.status_code == 422
    bad_chunking = await client.post(
        "/api/v1/knowledge-bases", json={"name": "x", "chunk_size": 10}, headers=admin.headers
    )
    assert bad_chunking.status_code == 422
    assert bad_chunking.json()["details"]["field"] == "chunk_size"
    # Nothing was stored by the refused requests.
    detail = (
        await client.get(f"/api/v1/knowledge-bases/{kb['id']}", headers=admin.headers)
    ).json()["knowledge_base"]
    assert detail["chunk_count"] == 0


async def test_knowledge_bases_are_project_isolated(client, admin, make_key):
    kb = await make_kb(client, admin.headers)
    await client.post(
        f"/api/v1/knowledge-bases/{kb['id']}/ingest", json={"content": FAQ}, headers=admin.headers
    )
    other = await make_key("other")
    for method, path, body in [
        ("GET", f"/api/v1/knowledge-bases/{kb['id']}", None),
        ("DELETE", f"/api/v1/knowledge-bases/{kb['id']}", None),
        ("GET", f"/api/v1/knowledge-bases/{kb['id']}/chunks", None),
        ("POST", f"/api/v1/knowledge-bases/{kb['id']}/ingest", {"content": "x"}),
        ("POST", f"/api/v1/knowledge-bases/{kb['id']}/reindex", None),
        ("POST", "/api/v1/knowledge/search", {"knowledge_base_id": kb["id"], "query": "hours"}),
    ]:
        response = await client.request(method, path, json=body, headers=other.headers)
        assert response.status_code == 404, (method, path, response.text)
    agent = await client.post(
        "/api/v1/agents",
        json={"name": "a", "knowledge_base_ids": [kb["id"]]},
        headers=other.headers,
    )
    assert agent.status_code == 404
    assert agent.json()["details"]["field"] == "knowledge_base_ids.0"
    mine = await client.post(
        "/api/v1/agents",
        json={"name": "a", "knowledge_base_ids": [kb["id"]]},
        headers=admin.headers,
    )
    assert mine.status_code == 201
    tools = (
        await client.get(f"/api/v1/agents/{mine.json()['id']}/tools", headers=admin.headers)
    ).json()["tools"]
    assert "search_knowledge_base" in [t["name"] for t in tools]


class _Page(http.server.BaseHTTPRequestHandler):
    body = (
        b"<html><head><title>Hours</title></head><body><article><h1>Hours</h1>"
        b"<p>The bakery opens at seven every morning except Sunday.</p>"
        b"<p>Fresh bread is ready by half past seven.</p></article></body></html>"
    )

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


async def test_url_ingest_allows_only_allowlisted_local_hosts(settings, make_key):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        allowing = settings.model_copy(update={"kb": KbSettings(url_allowlist=[host])})
        key = await make_key("urls")
        async with AsyncTestClient(app=create_app(allowing)) as client:
            kb = await make_kb(client, key.headers)
            ok = await client.post(
                f"/api/v1/knowledge-bases/{kb['id']}/urls",
                json={"url": f"http://{host}/hours", "refresh_interval": 3600},
                headers=key.headers,
            )
            assert ok.status_code == 201, ok.text
            hit = (
                await client.post(
                    "/api/v1/knowledge/search",
                    json={"knowledge_base_id": kb["id"], "query": "when does the bakery open"},
                    headers=key.headers,
                )
            ).json()["results"][0]
            assert "seven" in hit["content"]
        async with AsyncTestClient(app=create_app(settings)) as client:
            refused = await client.post(
                f"/api/v1/knowledge-bases/{kb['id']}/urls",
                json={"url": f"http://{host}/hours"},
                headers=key.headers,
            )
            assert refused.status_code == 400
            for url in (
                "http://169.254.169.254/latest/meta-data",
                "http://2852039166/",
                "file:///etc/passwd",
                "http://[::ffff:127.0.0.1]/",
            ):
                response = await client.post(
                    f"/api/v1/knowledge-bases/{kb['id']}/urls",
                    json={"url": url},
                    headers=key.headers,
                )
                assert response.status_code in (400, 422), url
                assert response.json()["code"] == "INVALID_REQUEST"
    finally:
        server.shutdown()
