"""The gateway's client of the control plane's internal gateway endpoints (contracts.py)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import msgspec

from gateway.contracts import (
    CALLS_PATH,
    END_PATH,
    RESTARTED_PATH,
    EndReason,
    GatewayCall,
    GatewayCallEnd,
    GatewayCallRequest,
    GatewayRestarted,
    auth_header,
)

logger = logging.getLogger(__name__)

END_ATTEMPTS = 4
"""Ending a call is retried: a lost end would leave the session active until reconciled."""


class CallRefused(Exception):
    """The control plane did not start the call; `status` is its HTTP status (0: unreachable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ControlPlane:
    def __init__(self, base_url: str, secret: str, *, timeout_s: float = 10.0) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=auth_header(secret), timeout=timeout_s
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def start_call(self, request: GatewayCallRequest) -> GatewayCall:
        try:
            response = await self._http.post(CALLS_PATH, content=msgspec.json.encode(request))
        except httpx.HTTPError as exc:
            raise CallRefused(0, "the platform is unavailable") from exc
        if response.status_code not in (200, 201):
            raise CallRefused(response.status_code, _error_message(response))
        try:
            return msgspec.json.decode(response.content, type=GatewayCall)
        except msgspec.ValidationError as exc:
            raise CallRefused(502, "the platform answered an unexpected call") from exc

    async def end_call(self, session_id: str, reason: EndReason) -> bool:
        body = msgspec.json.encode(GatewayCallEnd(reason=reason))
        path = END_PATH.format(session_id=session_id)
        for attempt in range(END_ATTEMPTS):
            try:
                response = await self._http.post(path, content=body)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code < 500:
                if response.status_code >= 400:
                    logger.warning(
                        "control plane refused a call end",
                        extra={"session_id": session_id, "status": response.status_code},
                    )
                return response.status_code < 400
            await asyncio.sleep(0.5 * 2**attempt)
        logger.warning("call end not delivered", extra={"session_id": session_id})
        return False

    async def restarted(self, gateway_id: str) -> GatewayRestarted:
        """Raises httpx.HTTPError while the control plane cannot be reached or refuses."""
        response = await self._http.post(RESTARTED_PATH.format(gateway_id=gateway_id))
        response.raise_for_status()
        return msgspec.json.decode(response.content, type=GatewayRestarted)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"the platform answered {response.status_code}"
    message = body.get("error") if isinstance(body, dict) else None
    return message if isinstance(message, str) else f"the platform answered {response.status_code}"
