"""`python -m agent_worker`: run the agent worker with settings from the environment."""

from .settings import WorkerSettings
from .worker import run_worker

run_worker(WorkerSettings())
