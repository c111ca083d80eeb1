"""Test-session hooks shared by every test file."""

from __future__ import annotations

import os

import pytest
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

# The suite trains eager: compiling each of its many toy models would cost more than it trains
# (tests/unit/test_train.py checks the compiled path). Subprocesses inherit it.
os.environ.setdefault("SYNFACE_COMPILE", "0")


@pytest.fixture(autouse=True)
def _no_wait_for_a_slurm_controller(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `snakemake` start runs `scontrol show config` (snakemake-executor-plugin-slurm, for a help
    text). Where slurm-wlm is installed (.ci/run) and no controller answers, that waits ≈ 9-10 s, on
    every one of the suite's Snakemake calls; an empty config makes it fail at once, which the plugin
    takes as the same "no controller". The SLURM tests (their `cluster` fixture) keep the real config."""
    if "cluster" not in request.fixturenames:
        monkeypatch.setenv("SLURM_CONF", os.devnull)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the long end-to-end tests (slow, or pinned to one worker's group) first, so that the
    other worker's share runs beside them instead of after them (make test's wall time)."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or item.get_closest_marker("xdist_group")))


class CrashSafeLoadGroupScheduling(LoadGroupScheduling):
    """`--dist loadgroup` that survives a crashed worker (a segfault, or pytest-timeout ending a hang).

    pytest-xdist 3.8.0's scheduler puts the crashed test back in the queue with the rest of its group,
    so it crashes the next worker too, and it keeps the dead worker's collection, so it hands work to
    a replacement that is still collecting: an INTERNALERROR or a run that waits forever
    (pytest-dev/pytest-xdist#1189, #1362). Here the crashed test is reported once, as failed, and the
    rest of its group goes to a worker that has collected."""

    def remove_node(self, node: WorkerController) -> str | None:
        workload = self.assigned_work.pop(node)
        pending = [nodeid for unit in workload.values() for nodeid, done in unit.items() if not done]
        if not pending:  # a worker that finished (it keeps counting as collected) or died between tests
            return None
        del self.registered_collections[node]  # its replacement must collect before it counts
        crashed = pending[0]  # a worker runs its tests in order and reports each when done
        for unit in workload.values():
            if crashed in unit:
                unit[crashed] = True
        self.workqueue.update({scope: unit for scope, unit in workload.items() if not all(unit.values())})
        for other in self.assigned_work:
            self._reschedule(other)
        return crashed

    def _reschedule(self, node: WorkerController) -> None:
        if node in self.registered_collections:  # a replacement still collecting asks for work when done
            super()._reschedule(node)


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> LoadGroupScheduling | None:
    """The crash-safe scheduler for `--dist loadgroup` (make test's mode); xdist's own for the others."""
    if config.getoption("dist") == "loadgroup":
        return CrashSafeLoadGroupScheduling(config, log)
    return None
