"""Do the results reproduce on another CPU? The same grid trained under two forced kernel sets.

torch picks its kernels by the CPU at hand: ATen's vectorised ops (and inductor's generated code)
by the CPU capability, oneDNN's convolutions by the instruction set. Two x86-64 CPUs therefore
train the same seeds with sums in a different order, and the floats part in their last bits and
then drift. Forcing both choices (`KERNELS`) lets one machine stand in for two: `synface
crosscheck` runs the grid of a config once per kernel set, each in its own copy of the working
tree, and compares the tables.

The stated tolerance: a kernel change may move a number no more than reseeding does. Each row's
two means (over its seeds) are compared by Welch's t-test from each run's mean, std and seed count,
as two runs of the same training under different seeds would be; a row *differs* when its p-value,
Holm-corrected over the rows, is below 5 %. And every claim's `verdict` must be the same (`holds`,
a direction by mean, is printed but may flip on noise). Nothing is bit for bit. A row with one seed
has no spread to test against and fails.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from synface.errors import SynfaceError
from synface.io.csvfile import read_csv_dicts

# name -> environment: ATen's CPU capability (also inductor's vector ISA) and oneDNN's ISA ceiling.
# "native" leaves both to the CPU; the others cap them (a cap above the CPU's own is no cap).
KERNELS: dict[str, dict[str, str]] = {
    "native": {},
    "baseline": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41"},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"},
}
PAPER_TABLES = ("cross_domain", "width_depth", "domain_mixup", "attributes")


LEVEL = 0.05  # family-wise, over a table set's rows (Holm)


@dataclass(frozen=True)
class RowShift:
    """One (table, training set, test set): its accuracy, std and seeds under each kernel set, and Holm's p."""

    table: str
    train: str
    test: str
    accuracy: tuple[float, float]
    std: tuple[float, float]  # sample std over seeds (NaN with one seed)
    seeds: tuple[int, int]
    p_holm: float = math.nan  # Welch's two-sided p, Holm-corrected over the rows (NaN: not testable)

    @property
    def delta(self) -> float:
        return self.accuracy[1] - self.accuracy[0]

    @property
    def within(self) -> bool:
        """Not told apart from reseeding (with one seed there is no spread to test against)."""
        return not math.isnan(self.p_holm) and self.p_holm >= LEVEL

    def welch_p(self) -> float:
        """Welch's two-sided p of the two means; NaN without two seeds a side; 1 when nothing varies."""
        if min(self.seeds) < 2 or any(math.isnan(s) for s in self.std):
            return math.nan
        if self.std == (0.0, 0.0):
            return 1.0 if self.delta == 0 else 0.0
        from scipy.stats import ttest_ind_from_stats  # slow to import: only when needed

        (m1, m2), (s1, s2), (n1, n2) = self.accuracy, self.std, self.seeds
        return float(ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False).pvalue)


def holm(rows: list[RowShift]) -> list[RowShift]:
    """The rows with Holm-corrected p-values over the testable ones (statsmodels' multipletests)."""
    from statsmodels.stats.multitest import multipletests

    p = [r.welch_p() for r in rows]
    testable = [k for k, value in enumerate(p) if not math.isnan(value)]
    adjusted = multipletests([p[k] for k in testable], method="holm")[1] if testable else []
    by_row = dict(zip(testable, adjusted, strict=True))
    return [replace(r, p_holm=float(by_row.get(k, math.nan))) for k, r in enumerate(rows)]


@dataclass(frozen=True)
class Crosscheck:
    rows: list[RowShift]
    claims: list[tuple[str, tuple[str, str], tuple[str, str]]]  # claim, (holds, verdict) of each run

    @property
    def rows_within(self) -> int:
        return sum(r.within for r in self.rows)

    @property
    def claims_same(self) -> bool:
        return all(a[1] == b[1] for _, a, b in self.claims)

    @property
    def passed(self) -> bool:
        return self.claims_same and self.rows_within == len(self.rows)

    def lines(self, names: tuple[str, str]) -> list[str]:
        """A plain-text report: each row, each claim, then the outcome."""
        a, b = names
        out = [f"{'table':<13} {'train':<28} {'test':<8} {a:>9} {b:>9} {'Δ':>6} {'std':>11} {'Holm p':>6}"]
        for r in self.rows:
            mark = "" if r.within else "  <- beyond the seed spread"
            out.append(
                f"{r.table:<13} {r.train:<28} {r.test:<8} {r.accuracy[0]:>9.2f} {r.accuracy[1]:>9.2f}"
                f" {r.delta:>+6.2f} {r.std[0]:>5.2f} {r.std[1]:>5.2f} {r.p_holm:>6.3f}{mark}"
            )
        for claim, left, right in self.claims:
            mark = "" if left[1] == right[1] else "  <- differs"
            out.append(f"claim {claim}: {a} {left[1]} (holds {left[0]}), {b} {right[1]} (holds {right[0]}){mark}")
        largest = max((abs(r.delta) for r in self.rows), default=0.0)
        out.append(
            f"{self.rows_within}/{len(self.rows)} rows within their seed spread (Welch, Holm at {LEVEL:.0%}; "
            f"largest |Δ| {largest:.2f} points); claim verdicts {'identical' if self.claims_same else 'differ'}: "
            f"{'PASS' if self.passed else 'FAIL'}"
        )
        return out


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise SynfaceError(f"{path}: missing (did the run of this kernel set finish?)")
    return read_csv_dicts(path)[1]


def _accuracies(results: Path, table: str) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(train, test) -> (accuracy, std, seeds) of one table (a training set appears in one row per test)."""
    out = {}
    for line, row in enumerate(_read(results / "tables" / f"{table}.csv"), start=2):
        try:
            std = float(row["std"]) if row["std"] else math.nan
            out[(row["train"], row["test"])] = (float(row["accuracy"]), std, int(row["seeds"]))
        except (KeyError, ValueError) as err:
            raise SynfaceError(f"{results / 'tables' / f'{table}.csv'}, line {line}: bad row ({err})") from None
    return out


def compare(first: Path, second: Path, tables: tuple[str, ...] = PAPER_TABLES) -> Crosscheck:
    """Compare two `results/` folders of the same grid (module doc)."""
    rows = []
    for table in tables:
        a, b = _accuracies(first, table), _accuracies(second, table)
        if set(a) != set(b):
            raise SynfaceError(f"{table}.csv: the two runs hold different rows: {sorted(set(a) ^ set(b))}")
        for key, (accuracy, std, seeds) in a.items():
            other, other_std, other_seeds = b[key]
            rows.append(RowShift(table, *key, (accuracy, other), (std, other_std), (seeds, other_seeds)))
    claims = []
    verdicts: list[Mapping[str, tuple[str, str]]] = [
        {row["claim"]: (row["holds"], row["verdict"]) for row in _read(folder / "tables" / "claims.csv")}
        for folder in (first, second)
    ]
    for claim in verdicts[0]:
        claims.append((claim, verdicts[0][claim], verdicts[1].get(claim, ("missing", "missing"))))
    return Crosscheck(holm(rows), claims)
