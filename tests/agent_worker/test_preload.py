"""The lazily imported modules the worker preloads still exist in the pinned libraries (the
forkserver silently skips a name that no longer imports)."""

from __future__ import annotations

import importlib

import pytest

from agent_worker.worker import LAZY_IMPORTS

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("name", LAZY_IMPORTS)
def test_preloaded_module_imports(name: str) -> None:
    importlib.import_module(name)
