"""Convergence summaries of per-step losses, on hand-built loss curves with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synface.analysis.convergence import FLAT_FALL, final_loss_frame, loss_summary, read_steps
from synface.errors import SynfaceError


def _steps_file(path, losses, epochs: int = 2) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = len(losses)
    pd.DataFrame({"step": range(1, n + 1), "epoch": 1 + np.arange(n) * epochs // n, "loss": losses, "lr": 0.1}).to_csv(
        path, index=False
    )
    return str(path)


def test_loss_summary_of_a_flat_and_a_falling_tail():
    flat = np.r_[np.linspace(10, 2, 80), np.full(20, 2.0)]
    assert loss_summary(flat) == (pytest.approx(2.0), pytest.approx(0.0))
    falling = np.r_[np.full(90, 4.0), np.full(10, 2.0)]  # last tenth 2, the tenth before 4
    assert loss_summary(falling) == (pytest.approx(2.0), pytest.approx(1.0))


def test_final_loss_table_flags_a_seed_still_falling(tmp_path):
    flat = np.r_[np.linspace(10, 2, 80), np.full(20, 2.0)]
    still_falling = np.r_[np.linspace(10, 3, 80), np.linspace(3, 2, 20)]
    runs = {
        "cross_domain": {"Real": [_steps_file(tmp_path / f"Real/seed{k}.csv", flat) for k in range(3)]},
        "width_depth": {
            "Syn_1K_50": [
                _steps_file(tmp_path / "Syn/seed0.csv", flat),
                _steps_file(tmp_path / "Syn/seed1.csv", still_falling),
            ]
        },
    }
    frame = final_loss_frame(runs).set_index("train")
    assert frame.loc["Real", ["table", "seeds", "steps", "epochs"]].tolist() == ["cross_domain", 3, 100, 2]
    assert frame.loc["Real", "final_loss"] == pytest.approx(2.0)
    assert frame.loc["Real", "end_fall_pct"] == pytest.approx(0.0)
    assert bool(frame.loc["Real", "flat"])
    # seed 1 still falls from 3 to 2 over its last 20 steps: about 23 % over the last tenth
    _, fall = loss_summary(still_falling)
    assert fall > FLAT_FALL
    assert frame.loc["Syn_1K_50", "end_fall_pct"] == pytest.approx(100 * fall)
    assert not bool(frame.loc["Syn_1K_50", "flat"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("step,loss\n1,2.0\n", "lacks column"),
        ("step,epoch,loss\n", "numeric step, epoch and loss rows"),
        ("step,epoch,loss\n1,1,abc\n", "numeric step, epoch and loss rows"),
    ],
)
def test_bad_steps_file_names_the_file(tmp_path, text, message):
    bad = tmp_path / "steps.csv"
    bad.write_text(text)
    with pytest.raises(SynfaceError, match=f"steps.csv: .*{message}"):
        read_steps(bad)
    with pytest.raises(SynfaceError, match="gone.csv: steps file not found"):
        read_steps(tmp_path / "gone.csv")
