"""End-to-end fixtures: the whole platform, with real media, in a loopback-only namespace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import netns
from tests.stack import Stack, voxroom_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not netns.inside():
        pytest.fail(
            "end-to-end tests carry WebRTC media and run only inside the loopback-only "
            "network namespace: run them with `make test`",
            pytrace=False,
        )
    with voxroom_stack(tmp_path_factory.mktemp("stack")) as running_stack:
        yield running_stack
