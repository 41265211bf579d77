"""`voxroom`: the single entry point (up, api, worker, talk, migrate, keys)."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
from pathlib import Path
from typing import Annotated

import typer
from litestar import Litestar

from api.projects.schemas import Scope
from api.settings import ApiSettings

app = typer.Typer(
    help="Voxroom: self-hostable realtime voice AI agents on LiveKit.", no_args_is_help=True
)
keys_app = typer.Typer(help="Manage project API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def up(
    sip: Annotated[
        bool,
        typer.Option(
            "--sip",
            help="Also start livekit-sip (phone calls; also on with VOXROOM_SIP_ENABLED=true).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=64,
            help="Agent worker processes (0: none). Default: one per two cores, at least one.",
            show_default=False,
        ),
    ] = None,
    worker_port: Annotated[
        int,
        typer.Option(min=1, max=65535, help="Health port of the first worker; then +1 each."),
    ] = 8081,
    inference: Annotated[
        bool,
        typer.Option(
            "--inference/--no-inference",
            help=(
                "Run the offline models in one inference service for all workers, each call "
                "in a light process of its own (--no-inference: each worker loads the models "
                "and runs its calls as threads)."
            ),
        ),
    ] = True,
) -> None:
    """Start every component, wait until healthy, restart a crashed worker, and stop them all
    on Ctrl-C."""
    from voxroom.launcher import LaunchError
    from voxroom.supervisor import Supervisor, default_workers

    try:
        count = default_workers() if workers is None else workers
        supervisor = Supervisor(
            workers=count, worker_port=worker_port, sip=sip, inference=inference
        )
        raise typer.Exit(supervisor.run())
    except LaunchError as exc:
        typer.secho(f"voxroom up: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc


def served_app() -> Litestar:
    """The control plane as `voxroom api` serves it (uvicorn's factory in each process)."""
    from api.app import create_app

    app = create_app(ApiSettings())
    # Once started, what is built lives as long as the process: move it out of the garbage
    # collector's reach, or each full collection walks all of it while requests wait (the
    # stalls that set the token endpoint's p99 under load). Here rather than in the app's
    # lifespan, since tests start many apps in one process.
    app.on_startup.append(gc.freeze)
    return app


@app.command("api")
def run_api(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=32,
            help="Processes sharing the port (default VOXROOM_API_PROCESSES, 1). Each runs "
            "the background passes too; they split the work through the database and Redis.",
        ),
    ] = None,
) -> None:
    """Run the control plane (HTTP API)."""
    import uvicorn

    settings = ApiSettings()
    uvicorn.run(
        "voxroom.cli:served_app",
        factory=True,
        host=host or settings.api_host,
        port=port or settings.api_port,
        workers=processes or settings.api_processes,
        log_level="info",
        access_log=False,
    )


@app.command("worker")
def run_worker() -> None:
    """Run an agent worker that joins rooms and runs the voice pipeline."""
    from agent_worker.settings import WorkerSettings
    from agent_worker.worker import run_worker as start_worker

    start_worker(WorkerSettings())


@app.command("inference")
def run_inference() -> None:
    """Serve the offline models (Whisper, Piper, local LLM) to every worker of the machine."""
    from agent_worker.inference_service import run_inference_service
    from agent_worker.settings import WorkerSettings

    run_inference_service(WorkerSettings())


@app.command("gateway")
def run_gateway(
    host: Annotated[str | None, typer.Option(help="Listen address.")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port.")] = None,
) -> None:
    """Run the media gateway: plain WebSocket and Twilio Media Streams clients into rooms."""
    from gateway.server import main as serve_gateway

    serve_gateway(host, port)


@app.command()
def talk(
    agent: Annotated[str, typer.Option(help="The agent's id (agt_...).")],
    say: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="A WAV to speak.")],
    api_key: Annotated[str, typer.Option(envvar="VOXROOM_API_KEY", help="A write key.")],
    record: Annotated[Path, typer.Option(help="Where to save the agent's audio.")] = Path(
        "agent-reply.wav"
    ),
    room: Annotated[str, typer.Option(help="Room name (without project prefix).")] = "talk",
    api_url: Annotated[str | None, typer.Option(help="Control plane URL.")] = None,
    listen: Annotated[float, typer.Option(help="Seconds to wait for the reply.")] = 30.0,
) -> None:
    """Call an agent over WebRTC: hear its greeting, speak a WAV, record the reply."""
    from voxroom.talk import talk as talk_to_agent

    # A person at a terminal wants the conversation, not the WebRTC libraries' INFO lines.
    logging.getLogger().setLevel(logging.WARNING)

    transcript = asyncio.run(
        talk_to_agent(
            api_url=api_url or ApiSettings().api_base_url,
            api_key=api_key,
            agent_id=agent,
            say=say,
            record=record,
            room=room,
            listen_s=listen,
        )
    )
    typer.echo("\nTranscript as stored by Voxroom:\n" + transcript)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date."""
    from api.migrate import upgrade

    upgrade(ApiSettings().database_url)
    typer.echo("database is up to date")


@keys_app.command("create")
def create_key(
    project: Annotated[str, typer.Option(help="Project name (created if missing).")],
    scope: Annotated[Scope, typer.Option(help="Highest scope of the key.")] = Scope.ADMIN,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
) -> None:
    """Create an API key and print it once as JSON."""
    from api.bootstrap import create_project_key
    from api.migrate import upgrade

    settings = ApiSettings()
    upgrade(settings.database_url)
    project_id, api_key = asyncio.run(
        create_project_key(settings.database_url, project, scope, name, settings.default_plan)
    )
    typer.echo(json.dumps({"project_id": project_id, "api_key": api_key}))


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migrations log every step at INFO; users only need to hear about problems.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app()
