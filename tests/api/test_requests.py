"""ApiRequest reads bodies in one or several ASGI messages, within the body limit."""

import json

import msgspec
from litestar import Litestar, post
from litestar.params import JSONBody

from api.error_handlers import EXCEPTION_HANDLERS
from api.requests import ApiRequest

LIMIT = 64


class Echo(msgspec.Struct):
    text: str


@post("/echo", status_code=200)
async def echo(data: JSONBody[Echo]) -> Echo:
    return data


APP = Litestar(
    [echo],
    request_class=ApiRequest,
    request_max_body_size=LIMIT,
    exception_handlers=EXCEPTION_HANDLERS,
)


async def call(chunks: list[bytes], content_length: object = None) -> tuple[int, dict]:
    """POST the chunks as separate ASGI messages; the status and JSON body of the answer."""
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/echo",
        "raw_path": b"/echo",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await APP(scope, receive, send)  # type: ignore[arg-type]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


async def test_a_body_in_one_message():
    assert await call([b'{"text": "hi"}'], content_length=14) == (200, {"text": "hi"})


async def test_a_body_in_pieces_is_read_whole():
    assert await call([b'{"te', b'xt": ', b'"hi"}']) == (200, {"text": "hi"})


async def test_an_announced_size_over_the_limit_is_refused_before_reading():
    status, body = await call([b"{}"], content_length=LIMIT + 1)
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")


async def test_a_body_over_the_limit_without_a_length_is_refused():
    status, body = await call([b'{"text": "', b"x" * LIMIT, b'"}'])
    assert (status, body["code"]) == (413, "PAYLOAD_TOO_LARGE")


async def test_a_bad_content_length_is_a_client_error():
    status, body = await call([b'{"text": "hi"}'], content_length="many")
    assert (status, body["code"]) == (400, "INVALID_REQUEST")
