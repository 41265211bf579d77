"""The benches' process meters read /proc once per sample and find each tree in it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench.process_meters import TreeMeter, descendants, proc_table, rss_pss_mb, stat_fields

pytestmark = pytest.mark.unit

BUSY = "import time\nend = time.monotonic() + 0.6\nwhile time.monotonic() < end: pass"


@pytest.fixture
def busy_child() -> Iterator[subprocess.Popen[bytes]]:
    """A child that spins for 0.6 s, then exits."""
    child = subprocess.Popen([sys.executable, "-c", BUSY])
    yield child
    child.kill()
    child.wait()


def test_stat_fields_skip_a_command_name_with_spaces_and_parentheses() -> None:
    stat = "42 (a) b (c)) S 7 42 42 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 1 0 1 1 1"
    assert stat_fields(stat) == (7, 300 / os.sysconf("SC_CLK_TCK"))


def test_descendants_walk_the_whole_tree_from_present_roots() -> None:
    table = {1: (0, 0.0), 2: (1, 0.0), 3: (2, 0.0), 4: (9, 0.0)}
    assert sorted(descendants(table, [1, 99])) == [1, 2, 3]


def test_proc_table_holds_this_process_and_its_parent() -> None:
    assert proc_table()[os.getpid()][0] == os.getppid()


def test_a_tree_counts_its_childs_cpu_and_memory(busy_child: subprocess.Popen[bytes]) -> None:
    meter = TreeMeter(os.getpid())
    alone = TreeMeter(os.getpid(), recursive=False)
    table = proc_table()
    meter.start(table)
    alone.start(table)
    time.sleep(0.4)
    table = proc_table()
    meter.sample_cpu(table)
    alone.sample_cpu(table)
    assert busy_child.pid in meter.pids(table)
    assert meter.cpu_seconds() - alone.cpu_seconds() > 0.05
    assert len(meter.pss_by_process_mb(table)) >= 2


def test_memory_of_an_ended_process_is_none(busy_child: subprocess.Popen[bytes]) -> None:
    assert rss_pss_mb(os.getpid()) is not None
    busy_child.kill()
    busy_child.wait()
    assert rss_pss_mb(busy_child.pid) is None
