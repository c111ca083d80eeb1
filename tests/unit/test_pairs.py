"""LFW View 2 pairs files: strict parsing, atomic writing, round trips (incl. the official file)."""

from __future__ import annotations

from pathlib import Path

import pytest
from repo_copy import ROOT

from synface.data.pairs import Pair, PairsFile, format_pairs, image_relpath, parse_pairs, write_pairs
from synface.errors import SynfaceError

REAL_PAIRS = next(
    (
        p
        for p in (
            Path("/work/shared/data/lfw_pairs.txt"),
            ROOT.parent / "shared/data/lfw_pairs.txt",
        )
        if p.is_file()
    ),
    None,
)
needs_real = pytest.mark.skipif(REAL_PAIRS is None, reason="shared/data/lfw_pairs.txt not available")

SMALL = """2\t2
Ann\t1\t2
Bob\t1\t3
Ann\t1\tBob\t2
Cid\t4\tAnn\t2
Bob\t2\t3
Cid\t1\t2   
Bob\t1\tCid\t3
Ann\t2\tCid\t1

"""  # noqa: W291 - the blanks after a line are part of the test


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    return path


def test_parse_small_file(tmp_path):
    pf = parse_pairs(_write(tmp_path, SMALL))
    assert (pf.n_folds, pf.n_per_fold, len(pf.pairs)) == (2, 2, 8)
    assert pf.pairs[0] == Pair("Ann", 1, "Ann", 2, True, 0)
    assert pf.pairs[2] == Pair("Ann", 1, "Bob", 2, False, 0)
    assert pf.pairs[5] == Pair("Cid", 1, "Cid", 2, True, 1)  # trailing spaces tolerated
    assert [p.same for p in pf.pairs] == [True, True, False, False] * 2
    assert [p.fold for p in pf.pairs] == [0] * 4 + [1] * 4
    assert pf.images()[:3] == [("Ann", 1), ("Ann", 2), ("Bob", 1)]
    assert len(pf.images()) == 9
    assert image_relpath("Ann", 2) == "Ann/Ann_0002.jpg"


def test_write_round_trip(tmp_path):
    pf = parse_pairs(_write(tmp_path, SMALL))
    out = tmp_path / "sub" / "again.txt"
    write_pairs(out, pf)
    assert parse_pairs(out) == pf
    assert out.read_text().splitlines()[1] == "Ann\t1\t2"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_write_refuses_inconsistent_layout(tmp_path):
    pf = parse_pairs(_write(tmp_path, SMALL))
    swapped = PairsFile(2, 2, [pf.pairs[2], pf.pairs[1], pf.pairs[0], *pf.pairs[3:]])
    with pytest.raises(SynfaceError, match="out of place"):
        write_pairs(tmp_path / "bad.txt", swapped)
    with pytest.raises(SynfaceError, match="needs 8"):
        format_pairs(PairsFile(2, 2, pf.pairs[:7]))
    for k, bad in ((0, Pair("Ann", 1, "Ann", 1, True, 0)), (2, Pair("Bob", 1, "Bob", 2, False, 0))):
        with pytest.raises(SynfaceError, match=f"pairs: pair {k}: (matched|mismatched) pair"):
            format_pairs(PairsFile(2, 2, [*pf.pairs[:k], bad, *pf.pairs[k + 1 :]]))
    assert not (tmp_path / "bad.txt").exists()


def _lines(body: list[str]) -> str:
    return "\n".join(body) + "\n"


BAD_CASES = {
    "wrong field count": (["1\t1", "Ann\t1\t2", "Ann\t1\tBob\t2\t5"], 3, "expected 3 fields"),
    "two fields": (["1\t1", "Ann\t1", "Ann\t1\tBob\t2"], 2, "found 2"),
    "non-numeric index": (["1\t1", "Ann\t1\tx2", "Ann\t1\tBob\t2"], 2, "'x2' is not a positive integer"),
    "index zero": (["1\t1", "Ann\t0\t2", "Ann\t1\tBob\t2"], 2, "< 1"),
    "too few lines": (["1\t2", "Ann\t1\t2", "Ann\t1\t3", "Ann\t1\tBob\t2"], 4, "ends after 3 pairs"),
    "too many lines": (["1\t1", "Ann\t1\t2", "Ann\t1\tBob\t2", "Ann\t1\tBob\t3"], 4, "extra line"),
    "matched where mismatched": (["1\t1", "Ann\t1\t2", "Ann\t1\t3"], 3, "matched pair where fold 1"),
    "mismatched where matched": (["1\t1", "Ann\t1\tBob\t2", "Ann\t1\t3"], 2, "mismatched pair where fold 1"),
    "bad header": (["ten\t300", "Ann\t1\t2"], 1, "header"),
    "escaping name": (["1\t1", "..\t1\t2", "Ann\t1\tBob\t2"], 2, "not a plain folder name"),
    "absolute name": (["1\t1", "Ann\t1\t2", "/etc\t1\tBob\t2"], 3, "not a plain folder name"),
    "mismatched pair of one person": (["1\t1", "Ann\t1\t2", "Bob\t1\tBob\t2"], 3, "mismatched pair names 'Bob' twice"),
    "matched pair of one image": (["1\t1", "Ann\t2\t2", "Ann\t1\tBob\t2"], 2, "image 2 of 'Ann' with itself"),
}


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_files_name_file_and_line(tmp_path, case):
    body, line, message = BAD_CASES[case]
    path = _write(tmp_path, _lines(body))
    with pytest.raises(SynfaceError, match=message) as err:
        parse_pairs(path)
    assert str(err.value).startswith(f"{path}:{line}:")


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(SynfaceError, match="empty pairs file"):
        parse_pairs(_write(tmp_path, "\n\n"))
    with pytest.raises(SynfaceError, match="cannot read"):
        parse_pairs(tmp_path / "absent.txt")


@needs_real
def test_official_file_parses_and_round_trips(tmp_path):
    pf = parse_pairs(REAL_PAIRS)
    assert (pf.n_folds, pf.n_per_fold, len(pf.pairs)) == (10, 300, 6000)
    assert len(pf.images()) == 7701
    assert len({p.name1 for p in pf.pairs} | {p.name2 for p in pf.pairs}) == 4281
    assert sum(p.same for p in pf.pairs) == 3000
    assert format_pairs(pf) == REAL_PAIRS.read_text()  # byte-identical rewrite
    write_pairs(tmp_path / "pairs.txt", pf)
    assert parse_pairs(tmp_path / "pairs.txt") == pf
