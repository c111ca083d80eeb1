"""Progress output: tqdm's bar on a terminal, plain lines in a log file."""

from __future__ import annotations

import io
import sys

import pytest
from tqdm import tqdm

from synface.io.progress import LineProgress, progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_plain_lines_and_keeps_the_last_one(monkeypatch):
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress_bar(10, "epoch 1/2", "step", leave=False) as bar:
        for _ in range(10):
            bar.set_postfix(loss="1.234", refresh=False)
            bar.update()
    assert isinstance(bar, LineProgress)
    assert "\r" not in log.getvalue()
    (line,) = log.getvalue().splitlines()  # well under LINE_EVERY_S: only the last line
    assert line.startswith("epoch 1/2: 100% 10/10 [") and line.endswith("step/s, loss=1.234]")


def test_lines_come_every_so_often_and_where_a_loop_stopped():
    log = io.StringIO()
    with pytest.raises(KeyboardInterrupt), LineProgress(5, "render x", "img", log, every_s=0) as bar:
        bar.update(2)
        bar.update(1)
        raise KeyboardInterrupt
    assert [line.split("[")[0] for line in log.getvalue().splitlines()] == [
        "render x:  40% 2/5 ",
        "render x:  60% 3/5 ",  # the last line is not repeated on leaving
    ]


def test_a_terminal_keeps_tqdm_and_a_disabled_bar_prints_nothing(monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    with progress_bar(3, "embed", "img") as bar:
        assert isinstance(bar, tqdm)
    quiet = io.StringIO()
    monkeypatch.setattr(sys, "stderr", quiet)
    with progress_bar(3, "render", "img", disable=True) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""
