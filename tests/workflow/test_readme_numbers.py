"""The numbers the README states, against the committed files they come from, so they cannot drift.

README.md § Results of the embedded run quotes `results/tables/claims.csv` (each claim's verdict, the
numbers and counts of its evidence, the verdict counts) and the paper tables; § The two worlds and
§ Limits state the embedded protocol (`config/config.yaml`, `config/paper.yaml`) and the model's size
(`synface.models.lresnet`). docs/training.md quotes the dev-split study (`results/tuning/*.csv`) and
the convergence table. After a regeneration, a text that still shows the old numbers fails here.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
import yaml
from repo_copy import ROOT

from synface.config import load_config
from synface.experiments import Experiments

README = (ROOT / "README.md").read_text(encoding="utf-8")
TRAINING = (ROOT / "docs/training.md").read_text(encoding="utf-8")
CONFIG = yaml.safe_load((ROOT / "config/config.yaml").read_text(encoding="utf-8"))
PAPER = yaml.safe_load((ROOT / "config/paper.yaml").read_text(encoding="utf-8"))
PAPER_TABLES = ("cross_domain", "width_depth", "domain_mixup", "attributes")
NUMBER = re.compile(r"[+-]?\d+\.\d+")  # a decimal as the CSVs write it, its sign kept
VERDICTS = ("supported", "inconclusive", "contradicted")


def _rows(relative: str) -> list[dict[str, str]]:
    with open(ROOT / relative, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _flat(text: str) -> str:
    """One line, Unicode minus as ASCII (the CSVs' `-`), Markdown code marks dropped."""
    return " ".join(text.replace("−", "-").replace("`", "").split())


def _table_after(text: str, marker: str) -> list[list[str]]:
    """The cells of the Markdown table that follows the line containing `marker`, header left out."""
    lines = text.split(marker, 1)[1].splitlines()[1:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    assert len(rows) > 2, f"no table after {marker!r}"
    return rows[2:]  # past the header and its |---| line


def _section(text: str, heading: str) -> str:
    return text.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]


def _table_rows() -> list[dict[str, str]]:
    """Every row of the four paper tables, once per (training set, test set)."""
    rows = {}
    for table in PAPER_TABLES:
        for row in _rows(f"results/tables/{table}.csv"):
            rows.setdefault((row["train"], row["test"]), row)
    return list(rows.values())


# ---------------------------------------------------------------- the claims table


CLAIMS = {row["claim"]: row for row in _rows("results/tables/claims.csv")}
README_CLAIMS = _table_after(README, "checks this table against results/tables/claims.csv")


def test_the_readme_lists_every_claim_in_order():
    assert [row[0] for row in README_CLAIMS] == list(CLAIMS) == [str(k) for k in range(1, 10)]


@pytest.mark.parametrize("cells", README_CLAIMS, ids=lambda cells: f"claim{cells[0]}")
def test_each_claims_verdict_and_numbers_are_those_of_claims_csv(cells):
    claim, _statement, ours, verdict = cells
    row = CLAIMS[claim]
    assert verdict == row["verdict"]
    evidence = _flat(row["evidence"])
    counts = evidence.split(":", 1)[0]  # "3/9 hold by mean, 2 supported, 6 inconclusive, 1 contradicted"
    quoted = NUMBER.findall(_flat(ours))
    assert quoted, f"claim {claim}: no number quoted"
    missing = [number for number in quoted if number not in NUMBER.findall(evidence)]
    assert not missing, f"claim {claim}: {missing} not in its evidence: {evidence}"
    for held in re.findall(r"\d+/\d+ hold by mean", ours):
        assert counts.startswith(held), f"claim {claim}: {held!r} vs {counts!r}"
    for count in re.findall(rf"\b\d+ (?:{'|'.join(VERDICTS)})\b", ours):
        assert re.search(rf"\b{count}\b", counts), f"claim {claim}: {count!r} vs {counts!r}"


def test_the_verdict_counts_are_those_of_claims_csv():
    verb = "(?:is|are)"
    counts = re.search(
        rf"Of the nine claims, (\d+) {verb} supported, (\d+) {verb} inconclusive and (\d+) {verb} contradicted",
        _flat(README),
    )
    assert counts, "the sentence with the verdict counts is gone"
    verdicts = Counter(row["verdict"].split(" (")[0] for row in CLAIMS.values())  # "inconclusive (one seed)"
    assert sum(verdicts.values()) == 9
    assert [int(n) for n in counts.groups()] == [verdicts[v] for v in VERDICTS]


# ---------------------------------------------------------------- other results the README quotes


def test_the_identity_mixup_gains_of_the_attribute_table():
    quoted = re.search(r"lifts each attribute set by ([\d.]+) to ([\d.]+) points", _flat(README))
    rows = _rows("results/tables/attributes.csv")
    by_im = {(row["row"], row["im"]): float(row["accuracy"]) for row in rows}
    gains = [by_im[(name, "True")] - by_im[(name, "False")] for name in dict.fromkeys(row["row"] for row in rows)]
    assert quoted and len(gains) == 4
    assert [float(x) for x in quoted.groups()] == [round(min(gains), 2), round(max(gains), 2)]


def test_how_far_below_the_paper_the_lfw_accuracies_are():
    quoted = re.search(r"on LFW ours are ([\d.]+) to ([\d.]+) points below the paper's", _flat(README))
    deltas = [float(row["delta"]) for row in _table_rows() if row["test"] == "lfw"]
    assert quoted and deltas and max(deltas) < 0
    assert [float(x) for x in quoted.groups()] == [-max(deltas), -min(deltas)]


def test_the_rows_whose_seed_std_is_above_one_point():
    rows = _table_rows()
    above = sum(float(row["std"]) > 1.0 for row in rows)
    for text in (README, TRAINING):
        quoted = re.search(r"(\d+) of the (\d+) (?:table )?rows", _flat(text))
        assert quoted, "the seed-std count is gone"
        assert [int(x) for x in quoted.groups()] == [above, len(rows)]


def test_the_committed_run_is_the_one_the_readme_names():
    seeds = {row["seeds"] for row in _table_rows()}
    assert seeds == {str(len(CONFIG["seeds"]))} and "mean of 3 seeds" in README and len(CONFIG["seeds"]) == 3
    assert {row["profile"] for row in _table_rows()} == {CONFIG["world"]} == {"embedded"}


# ---------------------------------------------------------------- the protocol and the model


def _world_cells(label: str) -> tuple[str, str]:
    rows = {cells[0]: cells[1:] for cells in _table_after(_section(README, "## The two worlds"), "| |")}
    embedded, paper = rows[label]
    return _flat(embedded), _flat(paper)


def test_the_two_worlds_models_are_the_configs():
    embedded, paper = _world_cells("model")
    model = CONFIG["model"]
    height, width = model["input"]
    assert embedded.startswith(f"{model['arch']} at {height}×{width}, embedding {model['embedding']}")
    assert PAPER["model"] == {"arch": "lresnet50e_ir", "input": [112, 96], "embedding": 512}
    assert paper == "LResNet50E-IR, 112×96, 512-d"
    embedded_ids, _ = _world_cells("identities")
    assert f"({CONFIG['scale']['identity_divisor']})" in embedded_ids


@pytest.mark.parametrize("world", ["embedded", "paper"])
def test_the_two_worlds_protocols_are_the_configs(world):
    embedded, paper = _world_cells("protocol")
    config = CONFIG if world == "embedded" else PAPER
    training = {**CONFIG["training"], **config["training"]}
    cell = embedded if world == "embedded" else paper
    head, margin, epochs = re.match(r"(\w+) m = ([\d.]+), (\d+) epochs", cell).groups()
    assert (head.lower(), float(margin), int(epochs)) == (training["head"], training["margin"], training["epochs"])
    floor = re.search(r"≥ ([\d,]+) SGD steps", cell)
    assert (int(floor[1].replace(",", "")) if floor else 0) == training["min_steps"]
    assert f"batch {training['batch']}," in cell
    seeds = len(config["seeds"])
    assert f"{seeds} seed{'s' if seeds > 1 else ''}" in cell


def _number(pattern: str, text: str) -> float:
    return float(re.search(pattern, text)[1].replace(",", ""))


def test_the_paper_worlds_gpu_hours_follow_from_its_config():
    """docs/paper_scale.md § What a run costs, from config/paper.yaml's grid, epochs and seeds at the
    rate it assumes; the README's compute row quotes its two figures."""
    doc = _flat(_section((ROOT / "docs/paper_scale.md").read_text(encoding="utf-8"), "## What a run costs"))
    ex = Experiments(load_config(ROOT / "config/paper.yaml", ROOT))
    casia = _number(r"all of CASIA-WebFace \(([\d,]+) images\)", doc)
    subsets = [ts.syn_subset or ts.real_subset for ts in ex.training_sets.values()]  # a Mix: its synthetic set
    per_epoch = sum(casia if subset is None else subset[0] * subset[1] for subset in subsets)
    assert f"{per_epoch:,.0f} images in all" in doc and f"{len(ex.training_sets)} training sets" in doc
    epochs, seeds = PAPER["training"]["epochs"], len(PAPER["seeds"])
    assert seeds >= 3 and f"× {epochs} epochs × {seeds} seeds" in doc and f"({len(ex.runs())} runs)" in doc
    hours = per_epoch * epochs * seeds / _number(r"([\d,]+) images/s on one V100-class GPU", doc) / 3600
    # an H100 at the same share of its peak as the V100-class GPU
    h100 = hours * _number(r"(\d+) TFLOP/s fp16 peak", doc) / _number(r"share of its (\d+) TFLOP/s", doc)
    v100_hours, h100_hours = f"{round(hours, -1):.0f}", f"{round(h100, -1):.0f}"
    assert f"**≈ {v100_hours} GPU-hours**" in doc and f"≈ {h100_hours} GPU-hours" in doc
    _, compute = _world_cells("compute")
    assert f"≈ {v100_hours} GPU-hours on V100-class GPUs, ≈ {h100_hours} on H100s" in compute


def test_every_epoch_count_in_the_readme_is_a_configs():
    quoted = {int(n) for n in re.findall(r"(\d+) epochs", README)}
    assert quoted and quoted <= {CONFIG["training"]["epochs"], PAPER["training"]["epochs"]}


def test_the_parameter_count_is_the_embedded_models():
    from synface.models.lresnet import build_backbone

    model = CONFIG["model"]
    backbone = build_backbone(model["arch"], tuple(model["input"]), model["embedding"])
    count = f"{sum(p.numel() for p in backbone.parameters()):,}"
    quoted = re.findall(r"(\d[\w,.]*) parameters", README)  # 110,968 but also 275K or 0.11M
    assert quoted and set(quoted) == {count}
    for doc in ("docs/training.md", "docs/cli.md"):
        assert f"{count} parameters" in (ROOT / doc).read_text(encoding="utf-8"), doc


# ---------------------------------------------------------------- docs/training.md: the dev-split study


TUNING = _rows("results/tuning/embedded.csv")
DEV_SETS = ("Real", "Syn_10K_50", "Real_1K_10")


def test_the_dev_split_table_is_the_committed_study():
    table = _table_after(TRAINING, "checks it against results/tuning/embedded.csv")
    accuracy = {(r["candidate"], r["train"], r["test"]): r["accuracy"] for r in TUNING}
    settings = {r["candidate"]: r["settings"] for r in TUNING}
    assert {cells[0].strip("`") for cells in table} == set(settings) - {"chosen_x2"}  # the doubled runs: below it
    for name, described, *cells in table:
        candidate = name.strip("`")
        head, margin, epochs = re.match(r"(\w+) m ([\d.]+), (\d+) epochs", described).groups()
        assert f"{head.lower()} s=30 m={margin}, {epochs} epochs" in settings[candidate], candidate
        for train, cell in zip(DEV_SETS, cells, strict=True):
            quoted = tuple(part.strip() for part in cell.split("/"))
            assert quoted == (accuracy[(candidate, train, "lfw")], accuracy[(candidate, train, "syn_lfw")])


def test_the_dev_split_means_and_the_doubling_check():
    text = _flat(TRAINING)
    means = {}
    for candidate in ("chosen", "cosface_m35", "arcface_long"):
        values = [Decimal(r["accuracy"]) for r in TUNING if r["candidate"] == candidate and r["train"] in DEV_SETS]
        assert len(values) == 6  # 81.455 is written 81.46: exact decimals, half up
        means[candidate] = str((sum(values) / 6).quantize(Decimal("0.01"), ROUND_HALF_UP))
    assert (
        f"best mean of the six dev numbers ({means['chosen']}, against {means['cosface_m35']} for m = 0.35 "
        f"and {means['arcface_long']} for ArcFace" in text
    )
    assert max(means, key=lambda c: Decimal(means[c])) == "chosen"  # as the text says
    doubling = _rows("results/tuning/convergence.csv")
    converged = sum(row["converged"] == "True" for row in doubling)
    assert f"less than 0.5 points in {converged} of {len(doubling)} cases" in text


def test_the_final_loss_count():
    rows = {row["train"]: row for row in _rows("results/tables/final_loss.csv")}
    not_flat = sum(row["flat"] == "False" for row in rows.values())
    assert f"flags {not_flat} of {len(rows)} training sets" in _flat(TRAINING)


# ---------------------------------------------------------------- the diagnostic studies

STUDIES = ("dm_real_identities", "light_vs_pose")


def _study_numbers() -> set[str]:
    """Every accuracy, Δ and interval bound of the committed studies, as the CSVs write them."""
    columns = ("left_accuracy", "right_accuracy", "delta", "ci_low", "ci_high")
    rows = [row for study in STUDIES for row in _rows(f"results/studies/{study}.csv")]
    return {f"{float(row[c]):+.2f}".lstrip("+") for row in rows for c in columns}


def _study_texts() -> list[str]:
    readme = _section(README, "### Why two claims are contradicted: the diagnostic studies")
    return [readme, TRAINING.split("### What the studies found", 1)[1]]


def test_the_study_table_is_the_committed_studies():
    quoted = _table_after(TRAINING, "checks this table against results/studies/*.csv")
    predicted = [
        row for study in STUDIES for row in _rows(f"results/studies/{study}.csv") if row["predicted"] == "True"
    ]
    assert len(quoted) == len(predicted)
    for cells, row in zip(quoted, predicted, strict=True):
        delta = f"{float(row['delta']):+.2f} [{float(row['ci_low']):+.2f}, {float(row['ci_high']):+.2f}]"
        expected = [f"{row['study']} ({row['claim']})", row["level"], row["left_accuracy"], row["right_accuracy"]]
        assert cells[:4] == expected
        assert [_flat(cells[4]), cells[5]] == [delta, row["outcome"]]


def test_every_number_the_study_texts_quote_is_a_committed_one():
    numbers = _study_numbers()
    for text in _study_texts():
        quoted = [n for n in NUMBER.findall(_flat(text)) if not re.fullmatch(r"[+-]?0\.5", n)]  # k = 0.5
        missing = [n for n in quoted if n.lstrip("+") not in numbers]
        assert not missing, f"{missing} are in no results/studies/*.csv"


@pytest.mark.parametrize("study", STUDIES)
def test_whether_each_prediction_held_is_the_committed_verdict(study):
    verdict = json.loads((ROOT / f"results/studies/{study}.json").read_text(encoding="utf-8"))
    claim = f"Claim {verdict['claim']}"
    said = {"yes": "the prediction held", "no": "the prediction failed"}[verdict["prediction_held"]]
    for text in _study_texts():
        paragraph = _flat(text).split(f"{claim}", 1)[1].split("* ", 1)[0]
        assert said in paragraph, f"{study}: the text does not say {said!r}"
