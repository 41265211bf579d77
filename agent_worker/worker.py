"""The agent worker process: a livekit-agents `AgentServer` with explicit dispatch.

`run_worker(settings)` is what `voxroom worker` and `python -m agent_worker` call.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import gc
import logging
import os
import signal
import sys
import threading

from livekit.agents import AgentServer, JobContext, JobExecutorType, JobProcess, JobRequest
from livekit.plugins import silero
from redis.asyncio import Redis

from . import ffi_routing, speaking_rate
from .capacity import WorkerPresence
from .contracts import AGENT_NAME, RECORDER_IDENTITY_PREFIX
from .health import HealthEndpoint
from .inference_client import served_models
from .offline_models import load_offline_models
from .recording import recorder_dispatch, upload_call_recording
from .room_recorder import DRAINING, run_recorder
from .session import ProcessResources, run_session
from .settings import WorkerSettings

logger = logging.getLogger(__name__)

_RESOURCES_KEY = "voxroom.resources"
_PREWARM_TIMEOUT_S = 120.0
_EXECUTORS = {"thread": JobExecutorType.THREAD, "process": JobExecutorType.PROCESS}
_PR_SET_PDEATHSIG = 1

_loaded_lock = threading.Lock()
_loaded: ProcessResources | None = None


def process_resources(settings: WorkerSettings) -> ProcessResources:
    """VAD and offline models of this process, loaded by the first job that asks.

    With the inference service (`settings.inference_url`) the heavy models live there, once
    per machine, and a process holds only the VAD: each call can run in a light process of its
    own. Without it, the thread executor's calls share this process's one copy (read-only and
    thread-safe at inference), and the process executor's job processes load one copy each.
    """
    global _loaded
    with _loaded_lock:
        if _loaded is None:
            models = (
                served_models(settings.inference_url)
                if settings.inference_url
                else load_offline_models(settings)
            )
            _loaded = ProcessResources(settings=settings, vad=silero.VAD.load(), models=models)
        return _loaded


LAZY_IMPORTS = (
    "anyio._backends._asyncio",
    "livekit.agents.llm.async_toolset",
    "openai.lib._parsing._audio",
    "openai.pagination",
    "openai.resources.audio",
    "openai.resources.chat",
)
"""What the openai SDK and livekit-agents import at a call's first request, on the call's event
loop (a 1,000-call soak logged "event loop blocked ... importing openai.pagination" 85 times,
anyio's modules 400 more, up to 0.7 s under load): preloaded with the worker's code instead.
The forkserver skips a name that no longer imports, so tests/agent_worker/test_preload.py
checks them against the pinned versions."""


def prewarm(settings: WorkerSettings, proc: JobProcess) -> None:
    """Make the models ready before any call arrives."""
    if proc.executor_type == JobExecutorType.PROCESS:
        die_with_parent()
    ffi_routing.install()
    speaking_rate.install()
    proc.userdata[_RESOURCES_KEY] = process_resources(settings)
    # The models and libraries stay for the process's life: move them out of the garbage
    # collector's reach, or each full collection walks all of them, mid-call, while the
    # audio waits.
    gc.freeze()


def die_with_parent() -> None:
    """A job process is killed with its parent (livekit's forkserver, which exits with the
    worker): a SIGKILLed worker's calls end at once, as with the thread executor, so the control
    plane hands them to another worker. Left alone, a job process would notice the lost parent,
    shut its call down and report it ended."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the call above
            os.kill(os.getpid(), signal.SIGKILL)


async def accept_job(request: JobRequest) -> None:
    """Agents join under LiveKit's default identity; a room recorder as `vxrec-<recording id>`,
    the participant the control plane removes to stop it."""
    recorder = recorder_dispatch(request.job.metadata)
    if recorder is None:
        await request.accept()
    else:
        await request.accept(
            identity=RECORDER_IDENTITY_PREFIX + recorder.recording_id,
            name="Recorder",
            attributes={"voxroom.role": "recorder"},
        )


async def entrypoint(settings: WorkerSettings, ctx: JobContext) -> None:
    recorder = recorder_dispatch(ctx.job.metadata)
    if recorder is not None:
        await run_recorder(ctx, recorder)
        return
    resources = ctx.proc.userdata.get(_RESOURCES_KEY)
    if resources is None:
        prewarm(settings, ctx.proc)
        resources = ctx.proc.userdata[_RESOURCES_KEY]
    await run_session(ctx, resources)


def calls_load(capacity: int, server: AgentServer) -> float:
    """Load as LiveKit sees it: active calls / capacity. livekit-agents' default is the whole
    machine's CPU, and livekit-server only offers a job to a worker whose load is under its
    `agents.target_load` (0.7 unless set): on a busy 2-core machine every dispatch then failed
    with "no servers available" although the worker was idle."""
    return len(server.active_jobs) / capacity


def load_threshold(capacity: int) -> float:
    """Just under 1: a worker with `capacity` calls (load 1.0) is full, one with a free slot
    (load at most 1 - 1/capacity) is not, whatever the float rounding."""
    return 1.0 - 0.5 / capacity


def build_server(settings: WorkerSettings) -> AgentServer:
    server = AgentServer(
        ws_url=settings.livekit_url,
        api_key=settings.livekit_api_key,
        api_secret=settings.livekit_api_secret.get_secret_value(),
        # livekit-agents' own health server cannot tell registration (see health.py): it
        # listens on any free port, and `settings.http_port` serves HealthEndpoint.
        host=settings.http_host,
        port=0,
        num_idle_processes=settings.num_idle_processes,
        load_fnc=functools.partial(calls_load, settings.capacity),
        load_threshold=load_threshold(settings.capacity),
        drain_timeout=settings.drain_timeout_s,
        job_executor_type=_EXECUTORS[settings.job_executor],
        initialize_process_timeout=_PREWARM_TIMEOUT_S,
        job_memory_warn_mb=1500,
        setup_fnc=functools.partial(prewarm, settings),
        # imported once in livekit's forkserver: job processes share these pages instead of
        # importing the worker's code (and kb, SQLAlchemy, the openai SDK) one copy each
        preload_modules=[__name__, *LAZY_IMPORTS],
    )
    server.rtc_session(
        functools.partial(entrypoint, settings),
        agent_name=AGENT_NAME,
        on_request=accept_job,
        on_session_end=upload_call_recording,
    )
    return server


async def serve(settings: WorkerSettings, stop: asyncio.Event | None = None) -> None:
    """Run until `stop` is set (or SIGINT/SIGTERM), then drain active calls and close."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = build_server(settings)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    presence = WorkerPresence(server, settings.capacity, redis)
    health = HealthEndpoint(presence, settings.http_host, settings.http_port)
    await health.start()
    run_task = asyncio.create_task(server.run(devmode=False), name="voxroom.agent_server")
    stop_task = asyncio.create_task(stop.wait(), name="voxroom.worker_stop")
    presence_task = asyncio.create_task(presence.run(), name="voxroom.worker_presence")
    try:
        await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        if run_task.done():
            run_task.result()
            return
        logger.info("draining worker")
        DRAINING.set()
        await presence.withdraw()
        try:
            await server.drain(timeout=settings.drain_timeout_s)
        except TimeoutError:
            logger.warning("drain timed out")
        await server.aclose()
        await run_task
    finally:
        stop_task.cancel()
        presence_task.cancel()
        await asyncio.gather(stop_task, presence_task, return_exceptions=True)
        await presence.withdraw()
        await health.aclose()
        if redis is not None:
            await redis.aclose()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run_worker(settings: WorkerSettings) -> None:
    """Blocking entry point for the CLI."""
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    asyncio.run(serve(settings))
