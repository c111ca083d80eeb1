"""Test-session hooks shared by every test file."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the long end-to-end tests (slow, or pinned to one worker's group) first, so that the
    other worker's share runs beside them instead of after them (make test's wall time)."""
    items.sort(key=lambda item: not (item.get_closest_marker("slow") or item.get_closest_marker("xdist_group")))
