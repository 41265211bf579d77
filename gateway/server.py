"""Run the gateway under uvicorn, in its own process (never on the control plane's loop)."""

from __future__ import annotations

import logging
from types import FrameType

import uvicorn
from litestar import Litestar

from agent_worker import ffi_routing
from gateway.app import create_app
from gateway.connection import Gateway
from gateway.settings import GatewaySettings


class _Server(uvicorn.Server):
    """Marks the gateway as shutting down before uvicorn closes its connections, so their
    calls end as `gateway_shutdown` rather than as hang-ups."""

    def __init__(self, config: uvicorn.Config, app: Litestar) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        gateway: Gateway | None = getattr(self._app.state, "gateway", None)
        if gateway is not None:
            gateway.shutting_down = True
        super().handle_exit(sig, frame)


def main(host: str | None = None, port: int | None = None) -> None:
    settings = GatewaySettings()
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    # The LiveKit SDK logs every ignored data stream at INFO: only the gateway's own lines.
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("gateway").setLevel(logging.INFO)
    # every call of the gateway is a LiveKit participant of this one process
    ffi_routing.install()
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        # Room for the gateway's own check to answer an oversized message with an error.
        ws_max_size=2 * settings.max_frame_bytes,
        ws="websockets-sansio",
        log_level="info",
        access_log=False,
    )
    _Server(config, app).run()
