"""What a figure function drew: its matplotlib figure, caught as it is saved, and the words on it."""

from __future__ import annotations

import re
from types import ModuleType

import pytest
from matplotlib.figure import Figure

PATH = re.compile(r"\w/[\w.]+/|\.(pt|png|csv|json)\b")  # models/Real/seed0/model.pt, results/x.csv


def catch(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[Figure]:
    """The figures `module`'s figure functions save from now on (still saved as before)."""
    figures: list[Figure] = []
    save = module.save_figure

    def keep(fig: Figure, out, **layout) -> None:
        figures.append(fig)
        save(fig, out, **layout)

    monkeypatch.setattr(module, "save_figure", keep)
    return figures


def words(fig: Figure) -> str:
    """Every text on `fig`: titles, axis labels, tick labels, legends, annotations; one per line."""
    texts = [fig.get_suptitle(), *(t.get_text() for t in fig.texts)]
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            texts += [legend.get_title().get_text(), *(t.get_text() for t in legend.get_texts())]
    for ax in fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
    return "\n".join(t for t in texts if t)


def titles(fig: Figure) -> list[str]:
    """The figure's title and its panels' titles."""
    return [t for t in [fig.get_suptitle(), *(ax.get_title() for ax in fig.axes)] if t]


def assert_titles_in_words(fig: Figure) -> None:
    """No file path, markdown backtick or config key (snake_case word) in any title."""
    for text in titles(fig):
        assert not PATH.search(text) and "`" not in text, text
        assert not any("_" in word and word.islower() for word in text.split()), text
