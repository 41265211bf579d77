"""The HTTP clients of a call's OpenAI STT, LLM and TTS, on one TLS context per worker process.

livekit's openai plugin builds a new `httpx.AsyncClient` for each STT, LLM and TTS object, and
with it a new TLS context (loading the CA bundle): three per call, on the call's event loop,
whether the endpoint is https or not. Measured: building an LLM with its client took 17.8 ms
with a context of its own, 0.1 ms on the shared one (`python -m bench.tls_clients`,
2026-12-01, while the test suite ran beside it); under load the contexts blocked calls' event
loops for p50 198 ms / p95 746 ms in the 1,000-call SIP soak of 2026-11-30 (1,264 contexts for
1,020 calls) and caused 28 "event loop blocked" warnings of about 0.5 s at 20 cloud-style calls
(bench/VOICE_RESULTS.md).
The context is made when this module is imported, which is in livekit's forkserver (the
worker preloads its own code), so job processes inherit it; each call still gets clients of
its own (an httpx client belongs to one event loop). The options restate the plugin's own
(livekit-plugins-openai at the pinned version): tests/agent_worker/test_openai_clients.py.
"""

from __future__ import annotations

import httpx2 as httpx
import openai

TLS = httpx.create_ssl_context()
"""What `httpx2.AsyncClient()` would build for itself (certificates as SSL_CERT_FILE/DIR say).
The openai SDK and its livekit plugin use httpx2 (httpx's successor), not httpx."""


def client(*, api_key: str, base_url: str | None = None) -> openai.AsyncClient:
    """An OpenAI client like the one the plugin would build, on the process's TLS context."""
    return openai.AsyncClient(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        http_client=httpx.AsyncClient(
            verify=TLS,
            timeout=httpx.Timeout(connect=15.0, read=5.0, write=5.0, pool=5.0),
            follow_redirects=True,
            limits=httpx.Limits(
                max_connections=50, max_keepalive_connections=50, keepalive_expiry=120
            ),
        ),
    )
