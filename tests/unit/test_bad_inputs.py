"""Bad inputs, command by command: one line naming the culprit, exit code 2, nothing left behind
and no input changed; and the good inputs beside them, which must keep working.

Config errors are caught when the Snakefile builds `Experiments` (or validates the schema),
before the first job; CLI errors before any output is written, or (a full disk, simulated by
patching the write) with the half-written output removed.
"""

from __future__ import annotations

import copy
import errno
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from face_files import pack_images
from PIL import Image
from repo_copy import ROOT
from test_evaluate_cli import model_file, write_pair_dataset
from test_importers import LFW_COUNTS, _lfw_protocol, _synface_name
from test_results_cli import paper_row, write_csv
from test_train import write_set

from synface.analysis import tables
from synface.cli import main
from synface.config import load_config
from synface.data.pairs import image_relpath, write_pairs
from synface.data.safe_pickle import MAX_PACK_BYTES
from synface.errors import SynfaceError
from synface.experiment_checks import check_experiments
from synface.experiments import Experiments
from synface.io.csvfile import MAX_CSV_BYTES
from synface.io.textfile import MAX_TEXT_BYTES
from synface.runtime import modelfile
from synface.train import checkpoint as ckpt

DEFAULT = yaml.safe_load((ROOT / "config/config.yaml").read_text())


def _grid(*names: str) -> dict:
    """The default config with a grid of just these training sets (and no other sets to train)."""
    config = copy.deepcopy(DEFAULT)
    config["experiments"] = {"width_depth": [{"row": "x", "train": name} for name in names]}
    config["feature_distribution"]["sets"] = []
    config["studies"] = {}
    config["manifest"] = []
    return config


def _set(path: str, value: object, config: dict | None = None) -> dict:
    """The default config (or `config`) with the dotted key `path` set to `value`."""
    config = copy.deepcopy(DEFAULT) if config is None else config
    *parents, leaf = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    node[leaf] = value
    return config


# --- config -------------------------------------------------------------------------------------

# (id, config, what the one-line message must name)
CONFIG_CASES = [
    ("zero-images-per-identity", _grid("Syn_5K_0"), r"Syn_5K_0.* 0 images per identity"),
    ("zero-identities", _grid("Syn_0K_4"), r"Syn_0K_4: 0 identities / scale\.identity_divisor 50 = 0"),
    ("scales-to-one-identity", _grid("Real_0.05K_4"), r"Real_0\.05K_4: 50 identities / scale\.identity_divisor"),
    (
        "real-domain-scales-to-one-identity",
        _set("real_domain.train_identities", 60),
        r"real_domain\.train_identities: 60 identities / scale\.identity_divisor 50 = 1",
    ),
    (
        "identity-mixup-cannot-fill",
        _grid("Syn_1K_50_IM", "Syn_1K_5_IM"),
        r"^Syn_1K_50_IM \(base set all_im: 20 identities x 50 images at scale\.identity_divisor 50\): identity mixup",
    ),
    (
        "batch-larger-than-a-synthetic-set",
        _grid("Syn_1K_5"),
        r"training\.batch = 128 exceeds the 100 images of training set Syn_1K_5",
    ),
    (
        "batch-larger-than-a-real-subset",
        _grid("Real_1K_5"),
        r"training\.batch = 128 exceeds the \d+ images of training set Real_1K_5",
    ),
    (
        "batch-larger-than-the-real-set",
        _set("training.batch", 100_000),
        r"training\.batch = 100000 exceeds the \d+ images of training set Real$",
    ),
    (
        "tuning-candidate-batch",
        _set("tuning.candidates.cosface_m35", {"margin": 0.35, "batch": 100_000}),
        r"tuning\.candidates\.cosface_m35\.batch = 100000 exceeds the \d+ images of training set Real$",
    ),
    ("lr-nan", _set("training.lr", float("nan")), r"^training \(training set \w+\): lr must be > 0 .*, got nan$"),
    ("scale-infinite", _set("training.scale", float("inf")), r"^training \(training set \w+\): scale must be"),
    (
        "cosface-margin-beyond-its-range",
        _set("tuning.candidates.cosface_m35", {"margin": 5}),
        r"^tuning\.candidates\.cosface_m35 \(training set Real\): margin must be >= 0 and below 2 for cosface, got 5$",
    ),
]


@pytest.mark.parametrize("config, culprit", [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_experiments_refuse_a_bad_config_in_one_line(config, culprit):
    with pytest.raises(SynfaceError, match=culprit) as err:
        check_experiments(Experiments(config))
    assert "\n" not in str(err.value)


def test_the_shipped_configs_still_build():
    for name in ("config/config.yaml", "config/smoke.yaml", "config/paper.yaml"):
        check_experiments(Experiments(load_config(ROOT / name, ROOT)))


SEED_CASES = [
    ("negative", {"seeds": [-1, 0]}, r"-1 is less than the minimum of 0 .*\['seeds'\]"),
    ("huge", {"seeds": [2**32]}, r"4294967296 is greater than the maximum .*\['seeds'\]"),
    ("negative-tuning", {"tuning": {"seeds": [-1]}}, r"-1 is less than .*\['tuning'\]\['seeds'\]"),
]


@pytest.mark.parametrize("overlay, culprit", [c[1:] for c in SEED_CASES], ids=[c[0] for c in SEED_CASES])
def test_the_schema_refuses_bad_seeds(tmp_path, overlay, culprit):
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay))
    with pytest.raises(SynfaceError, match=r"overlay\.yaml: .*" + culprit) as err:
        load_config(path, ROOT)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("path", [os.devnull, "fifo"])
def test_the_snakefile_refuses_a_config_that_is_not_a_regular_file(tmp_path, path):
    if path == "fifo":
        os.mkfifo(tmp_path / path)  # reading it would wait for a writer forever
    with pytest.raises(SynfaceError, match=r": not a regular file \(inputs are read whole\)$"):
        load_config(tmp_path / path, ROOT)


def test_a_dry_run_refuses_a_bad_overlay_before_the_first_job(tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(yaml.safe_dump({"training": {"batch": 100_000}}))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    snakemake = Path(sys.executable).with_name("snakemake")
    run = subprocess.run(
        [str(snakemake), "-n", "--configfile", str(overlay)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode != 0
    assert "training.batch = 100000 exceeds the" in run.stdout + run.stderr


# --- the command line, command by command ---------------------------------------------------------


class _Unsafe:
    """Unpickles as a call of os.mkdir(marker): a pickle payload a weights-only load refuses."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def _scores(path: Path, rows: list[str]) -> None:
    path.write_text("score,same\n" + "\n".join(rows) + "\n")


def _png(path: Path, image: np.ndarray | Image.Image) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(path)


def _crafted(source: Path, path: Path, craft: Callable[[Path], None]) -> None:
    """A copy of dataset `source` at `path`, then changed by `craft(path)`."""
    shutil.copytree(source, path)
    craft(path)


def _edit_json(path: Path, change: Callable[[dict], None]) -> None:
    info = json.loads(path.read_text())
    change(info)
    path.write_text(json.dumps(info))


def _pickled_shard(ds: Path) -> None:
    """shard-00000.npy replaced by an object array of the dataset's declared shape: loading it would unpickle."""
    info = json.loads((ds / "dataset.json").read_text())
    shape = (info["shards"][0]["count"], info["height"], info["width"], 3)
    payload = np.empty(shape, dtype=object)
    payload.flat[0] = _Unsafe(ds.parent / "unpickled")
    np.save(ds / "shard-00000.npy", payload, allow_pickle=True)


def _truncate(path: Path) -> None:
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 100)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Every input the rows name, built once (the rows must leave them unchanged)."""
    root = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(0)
    # import: identity folders of 112x96 PNGs, and trees holding links that lead outside them
    for name in ("a", "b"):
        for n in (1, 2):
            _png(root / "faces" / name / f"{n}.png", rng.integers(0, 256, (112, 96, 3), dtype=np.uint8))
    _png(root / "elsewhere" / "stray.png", rng.integers(0, 256, (112, 96, 3), dtype=np.uint8))
    shutil.copytree(root / "faces", root / "linked_file")
    (root / "linked_file" / "b" / "3.png").symlink_to(root / "elsewhere" / "stray.png")
    (root / "linked_folder" / "a").mkdir(parents=True)
    shutil.copy(root / "faces" / "a" / "1.png", root / "linked_folder" / "a")
    (root / "linked_folder" / "b").symlink_to(root / "elsewhere")
    # the released SynFace layout: identity 2's image a link to identity 1's (inside the tree); a copy of it
    # with one more image, a link to a file outside
    image = root / "released" / _synface_name(1, 1, 1, 1.0)
    image.parent.mkdir(parents=True)
    Image.fromarray(rng.integers(0, 256, (112, 96, 3), dtype=np.uint8)).save(image)
    (root / "released" / "00002").mkdir()
    (root / "released" / _synface_name(2, 1, 2, 1.0)).symlink_to(Path("..", *image.parts[-2:]))
    shutil.copytree(root / "released", root / "released_outside", symlinks=True)
    (root / "released_outside" / _synface_name(1, 2, 1, 1.0)).symlink_to(root / "elsewhere" / "stray.png")
    for name, count in LFW_COUNTS.items():
        for n in range(1, count + 1):
            _png(root / "lfw_images" / image_relpath(name, n), rng.integers(0, 256, (112, 96, 3), dtype=np.uint8))
    write_pairs(root / "pairs.txt", _lfw_protocol())
    (root / "lfw_images" / "Dee").rename(root / "elsewhere" / "Dee")
    (root / "lfw_images" / "Dee").symlink_to(root / "elsewhere" / "Dee")
    _png(root / "huge" / "a" / "1.png", Image.new("1", (11_000, 11_000)))  # 121 megapixels in a few kB
    # train and evaluate: a tiny training set, a pair dataset, models, and crafted copies of the datasets
    write_set(root / "syn", 4, 4, seed=1)
    write_pair_dataset(root / "lfw")
    model_file(root / "model.pt")
    payload = torch.load(root / "model.pt", weights_only=True)
    next(iter(payload["state_dict"].values())).view(-1)[0] = float("nan")
    torch.save(payload, root / "nan.pt")
    # model files and run folders with crafted entries: each as torch.save writes it, loadable weights-only
    for name, key, value in [
        ("no_arch", "arch", None),
        ("str_embedding", "embedding", "16"),
        ("huge_input", "input_hw", [100_000, 100_000]),
    ]:
        crafted = {k: v for k, v in payload.items() if k != key} | ({} if value is None else {key: value})
        torch.save(crafted, root / f"{name}.pt")
    resumable = {k: {} for k in ("backbone", "head", "optimizer", "scheduler", "rng", "config")}
    for name, epoch, log in [("negative_epoch", -1, []), ("huge_epoch", 10**12, []), ("str_log", 1, "x" * 100)]:
        (root / name).mkdir()
        torch.save(
            {"format": ckpt.CHECKPOINT_FORMAT, "epoch": epoch, "log": log, **resumable}, root / name / "checkpoint.pt"
        )
        (root / name / "log.csv").write_text("epoch,loss,lr,images_per_s,seconds\n1,20.5,0.1,100,3\n")
        (root / name / "steps.csv").write_text("step,epoch,loss,lr\n1,1,20.5,0.1\n")
    _crafted(
        root / "syn",
        root / "no_phi",
        lambda ds: pd.read_csv(ds / "metadata.csv").drop(columns="phi").to_csv(ds / "metadata.csv", index=False),
    )
    _crafted(
        root / "syn",
        root / "bad_identity",
        lambda ds: (ds / "metadata.csv").write_text((ds / "metadata.csv").read_text().replace("\n0,", "\nx,", 1)),
    )
    _crafted(root / "syn", root / "no_height", lambda ds: _edit_json(ds / "dataset.json", lambda i: i.pop("height")))
    _crafted(root / "lfw", root / "truncated", lambda ds: _truncate(ds / "shard-00000.npy"))
    _crafted(root / "lfw", root / "pickled", _pickled_shard)
    _crafted(root / "lfw", root / "deep_json", lambda ds: (ds / "dataset.json").write_text("[" * 10**5 + "]" * 10**5))
    # evaluate --scores, and `synface results`
    (root / "notes.txt").write_text("not a model\n")
    torch.save({"format": modelfile.MODEL_FORMAT, "payload": _Unsafe(root / "unpickled")}, root / "pickle.pt")
    _scores(root / "yes.csv", ["0.5,1", "0.5,yes"])
    _scores(root / "range.csv", ["1.5,1", "0.5,0"])
    _scores(root / "good.csv", [f"{0.9 if k % 2 else 0.1},{k % 2}" for k in range(20)])
    write_csv(root / "results/tables/attributes.csv", tables.COLUMNS, [paper_row("Syn_5K_50_IM", "lfw", "89.45", 3)])
    table = (root / "results/tables/attributes.csv").read_text().splitlines()
    for name, lines in {
        "short_row": [*table, table[1].rsplit(",", 1)[0]],  # line 3 lacks its last field
        "twice": [table[0].replace(",profile", ",std"), table[1]],
        "huge_field": [table[0], table[1].replace(",embedded", ",e" + "m" * 200_000)],
    }.items():
        (root / f"results_{name}/tables").mkdir(parents=True)
        (root / f"results_{name}/tables/attributes.csv").write_text("\n".join(lines) + "\n")
    # .bin packs pointing at one image: image A in every pair (a pickle memo reference each), a pair of A with A
    _, (a, b) = pack_images(rng, 2)
    (root / "one_image.bin").write_bytes(pickle.dumps(([a, b] * 6000, [True, False] * 3000), protocol=2))
    _, bins = pack_images(rng, 20)
    (root / "self_pair.bin").write_bytes(pickle.dumps(([bins[0], bytes(bytearray(bins[0])), *bins[2:]], [True] * 10)))
    # folders that are not datasets of identity folders, and an output folder already in use
    (root / "empty").mkdir()
    _png(root / "flat" / "1.png", rng.integers(0, 256, (112, 96, 3), dtype=np.uint8))
    (root / "garbage" / "a").mkdir(parents=True)
    (root / "garbage" / "a" / "1.png").write_bytes(b"not a png\n")
    _png(root / "blank" / "a" / "1.png", np.full((250, 250, 3), 128, dtype=np.uint8))  # a photo without a face
    (root / "taken").mkdir()
    (root / "taken" / "mine.txt").write_text("someone's work\n")
    shutil.copytree(root / "released", root / "released_badname", symlinks=True)
    (root / "released_badname" / "faces").mkdir()
    (root / "rec_noproperty").mkdir()
    for name in ("train.rec", "train.idx"):
        (root / "rec_noproperty" / name).write_bytes(b"")
    lines = (root / "pairs.txt").read_text().splitlines()
    (root / "short_pairs.txt").write_text("\n".join(lines[:3]) + "\n")
    (root / "header_pairs.txt").write_text("\n".join(["ten folds", *lines[1:]]) + "\n")
    (root / "self_pairs.txt").write_text("\n".join([lines[0], "Ann\t1\t1", *lines[2:]]) + "\n")
    (root / "twice_pairs.txt").write_text("\n".join([*lines[:3], "Ann\t1\tAnn\t2", *lines[4:]]) + "\n")
    _crafted(root / "lfw", root / "no_pairs", lambda ds: (ds / "pairs.csv").unlink())
    (root / "score_only.csv").write_text("score\n0.5\n")
    _scores(root / "nan.csv", ["nan,1", "0.5,0"])
    (root / "header_only.csv").write_text("score,same\n")
    _scores(root / "short_row.csv", ["0.5,1", "0.5"])
    (root / "score_twice.csv").write_text("score,same,score\n0.5,1,0.2\n")
    _scores(root / "huge_field.csv", ["0.5,1", "0." + "1" * 200_000 + ",1"])
    (root / "unknown_key.yaml").write_text("trainig:\n  epochs: 3\n")
    (root / "bad_yaml.yaml").write_text("training: [1, 2\n")
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi")
    ]
    (root / "alias_bomb.yaml").write_text("\n".join(bomb) + "\n")  # 9**9 strings when walked
    (root / "twice.yaml").write_text("training:\n  epochs: 3\ntraining:\n  epochs: 4\n")
    (root / "deep.yaml").write_text("[" * 5000 + "]" * 5000 + "\n")
    (root / "big.yaml").write_text("#" * 2**20 + "\n")
    (root / "binary.yaml").write_bytes(b"\xff\xfe\x00\x01 not text")
    # outputs that must never be replaced or written into: special files, links, an input reached by a link
    os.mkfifo(root / "fifo")
    (root / "to_null").symlink_to(os.devnull)
    (root / "dangling").symlink_to(root / "nowhere")
    (root / "faces_link").symlink_to(root / "faces")
    return root


@pytest.fixture(scope="module")
def huge(tmp_path_factory) -> Path:
    """Regular files one byte beyond their cap, sparse (a refusal reads none of them; no row may change them)."""
    root = tmp_path_factory.mktemp("huge")
    caps = {
        "pack.bin": MAX_PACK_BYTES,
        "results/tables/attributes.csv": MAX_CSV_BYTES,
        "scores.csv": MAX_CSV_BYTES,
        "pairs.txt": MAX_TEXT_BYTES,
        "rec/train.idx": MAX_TEXT_BYTES,
        "lfw/dataset.json": MAX_TEXT_BYTES,
    }
    for name, cap in caps.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        with open(root / name, "wb") as f:
            f.truncate(cap + 1)
    (root / "rec/property").write_text("2,112,112\n")
    (root / "rec/train.rec").write_bytes(b"")
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every input file's bytes (links as their targets' names): what a row must not change."""
    return {
        p.relative_to(root).as_posix(): os.readlink(p).encode() if p.is_symlink() else p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


def _fail_writes(target: object, name: str, error: BaseException) -> Callable[[pytest.MonkeyPatch], None]:
    """A full disk for `target.name`: every write fails with `error`."""

    def patch(monkeypatch: pytest.MonkeyPatch) -> None:
        def full(*args, **kwargs):
            raise error

        monkeypatch.setattr(target, name, full)

    return patch


def _env(name: str, value: str) -> Callable[[pytest.MonkeyPatch], None]:
    return lambda monkeypatch: monkeypatch.setenv(name, value)


TRAIN = "train --arch lresnet10e_ir_tiny --input 32x32 --embedding 16 --batch 8 --epochs 1 --threads 1"
BENCH_TRAIN = (
    "bench train --arch lresnet10e_ir_tiny --input 28x24 --batch 8 --steps 1 --warmup 0 --rounds 1 --threads 1"
)
DISK_FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
NUMPY_DISK_FULL = OSError("225792 requested and 122752 written")  # numpy's tofile: no errno, no file
TORCH_DISK_FULL = RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")

# Every command that writes, up to its output's path: the output is never a special file (a rename would
# replace it with a regular file), a dangling link, or a name leaving no room for the temporary beside it
OUTPUT_ARGUMENTS = {
    "render": "render --ids 3 --per-id 2 --out",
    "import": "import imagefolder {in}/faces --out",
    "align": "align {in}/faces --out",
    "train": TRAIN + " --syn {in}/syn --out",
    "evaluate": "evaluate --scores {in}/good.csv --out",
    "bench": "bench realism --ids 2 --per-id 2 --sheet",
    "dvc-yaml": "dvc-yaml --config {in}/unknown_key.yaml --out",
}
SPECIAL_OUTPUTS = [
    ("device", os.devnull, r"^synface: error: /dev/null: is a character device; an output replaces only a regular"),
    ("fifo", "{in}/fifo", r"/fifo: is a FIFO; an output replaces only a regular file or folder$"),
    ("link-to-a-device", "{in}/to_null", r"/to_null: is a character device \(a symbolic link to /dev/null\); "),
    ("dangling-link", "{in}/dangling", r"/dangling: is a symbolic link to .*/nowhere, which does not exist$"),
    ("name-too-long", "{tmp}/" + "x" * 250, r"/x{250}: name of 250 bytes; outputs take at most 241$"),
]

# Per command: (id, argv with {in} for the inputs and {tmp} for this row's folder, the one-line message,
# a patch or None). Every row writes to {tmp}/out.
BAD = {
    "render": [
        ("negative-seed", "render --ids 3 --per-id 2 --seed -1 --out {tmp}/out", r"--seed -1: must be >= 0", None),
        (
            "huge-seed",
            f"render --ids 3 --per-id 2 --seed {2**32} --out {{tmp}}/out",
            r"--seed 4294967296: must be <",
            None,
        ),
        ("ids-not-whole", "render --ids 1e11 --per-id 2 --out {tmp}/out", r"--ids '1e11' is not a whole number", None),
        (
            "too-many-images",
            "render --ids 100000000000 --per-id 2 --out {tmp}/out",
            r"--ids 100000000000 x --per-id 2 = 200,000,000,000 images; one call renders at most 1,000,000",
            None,
        ),
        (
            "real-too-many-images",
            "render --domain real --ids 1000 --per-id 1001 --out {tmp}/out",
            r"= 1,001,000 images",
            None,
        ),
        (
            "full-disk",
            "render --ids 2 --per-id 1 --out {tmp}/out",
            r"/out/00001/001_00001x[0-9.]+_\(\d{5}\)x[0-9.]+\.jpg: write failed \(No space left on device\)$",
            _fail_writes(Image.Image, "save", DISK_FULL),
        ),
        ("ids-0", "render --ids 0 --per-id 2 --out {tmp}/out", r"counts must be positive, got ids=0 per_id=2$", None),
        ("per-id-0", "render --ids 2 --per-id 0 --out {tmp}/out", r"got ids=2 per_id=0$", None),
        ("ids-negative", "render --ids -3 --per-id 2 --out {tmp}/out", r"got ids=-3 per_id=2$", None),
        (
            "seed-not-whole",
            "render --ids 3 --per-id 2 --seed abc --out {tmp}/out",
            r"--seed 'abc' is not a whole",
            None,
        ),
        (
            "unknown-factor",
            "render --ids 3 --per-id 2 --factor hair --out {tmp}/out",
            r"unknown factor mode 'hair'; choose one of all, none, expression, illumination, pose$",
            None,
        ),
        (
            "unknown-domain",
            "render --ids 3 --per-id 2 --domain cartoon --out {tmp}/out",
            r"unknown domain 'cartoon'; choose one of synthetic, real$",
            None,
        ),
        (
            "real-with-identity-mixup",
            "render --domain real --ids 3 --per-id 2 --im --out {tmp}/out",
            r"--im/--no-im and --factor are synthetic-only",
            None,
        ),
        (
            "real-with-a-factor",
            "render --domain real --ids 3 --per-id 2 --factor pose --out {tmp}/out",
            r"--im/--no-im and --factor are synthetic-only",
            None,
        ),
        (
            "mixup-without-partners",
            "render --ids 2 --per-id 2 --out {tmp}/out",
            r"render: identity mixup .* --per-id 2 needs at least 3 identities .*, or render without it \(--no-im\)$",
            None,
        ),
        (
            "out-in-use",
            "render --ids 3 --per-id 2 --out {in}/taken",
            r"taken: output exists and is not an empty folder$",
            None,
        ),
        (
            "out-is-a-file",
            "render --ids 3 --per-id 2 --out {in}/notes.txt",
            r"notes\.txt: output exists and is not a folder$",
            None,
        ),
        (
            "out-missing",
            "render --ids 3 --per-id 2",
            r"render: the following arguments are required: --out \(see `synface render --help`\)$",
            None,
        ),
    ],
    "import": [
        (
            "size-too-large",
            "import imagefolder {in}/faces --align resize --size 100000x100000 --out {tmp}/out",
            r"--size 100000x100000: each side must be at most 1024$",
            None,
        ),
        (
            "size-not-hxw",
            "import imagefolder {in}/faces --size 112 --out {tmp}/out",
            r"--size '112' is not HEIGHTxWIDTH",
            None,
        ),
        (
            "decompression-bomb",
            "import imagefolder {in}/huge --out {tmp}/out",
            r"huge/a/1\.png: image is 11000x11000 = 121,000,000 pixels, more than the 89,478,485 allowed \(set SYNFACE",
            None,
        ),
        (
            "pixels-above-a-lowered-limit",
            "import imagefolder {in}/faces --out {tmp}/out",
            r"faces/a/1\.png: image is 112x96 = 10,752 pixels, more than the 10,000 allowed",
            _env("SYNFACE_MAX_IMAGE_PIXELS", "10000"),
        ),
        (
            "pixel-limit-not-a-number",
            "import imagefolder {in}/faces --out {tmp}/out",
            r"SYNFACE_MAX_IMAGE_PIXELS='lots' is not a positive whole number of pixels$",
            _env("SYNFACE_MAX_IMAGE_PIXELS", "lots"),
        ),
        (
            "imagefolder-file-link-outside",
            "import imagefolder {in}/linked_file --out {tmp}/out",
            r"linked_file/b/3\.png: symbolic link to .*/stray\.png leads outside .*linked_file \(--follow-symlinks",
            None,
        ),
        (
            "imagefolder-folder-link-outside",
            "import imagefolder {in}/linked_folder --out {tmp}/out",
            r"linked_folder/b: symbolic link to .*elsewhere leads outside",
            None,
        ),
        (
            "synface-link-outside",
            "import synface {in}/released_outside --out {tmp}/out",
            r"released_outside/00001/002_00001x1\.000_\(00001\)x0\.000\.jpg: symbolic link to .*stray\.png leads out",
            None,
        ),
        (
            "lfw-link-outside",
            "import lfw --images {in}/lfw_images --pairs {in}/pairs.txt --out {tmp}/out",
            r"lfw_images/Dee: symbolic link to .*elsewhere/Dee leads outside",
            None,
        ),
        (
            "full-disk",
            "import imagefolder {in}/faces --out {tmp}/out",
            r"/out/shard-00000\.npy: write failed \(225792 requested and 122752 written\)$",
            _fail_writes(np, "save", NUMPY_DISK_FULL),
        ),
        ("imagefolder-missing", "import imagefolder {in}/nosuch --out {tmp}/out", r"/nosuch: not a folder$", None),
        ("imagefolder-a-file", "import imagefolder {in}/notes.txt --out {tmp}/out", r"notes\.txt: not a folder$", None),
        ("imagefolder-empty", "import imagefolder {in}/empty --out {tmp}/out", r"/empty: no identity folders$", None),
        ("imagefolder-flat", "import imagefolder {in}/flat --out {tmp}/out", r"/flat: no identity folders$", None),
        (
            "unreadable-image",
            "import imagefolder {in}/garbage --out {tmp}/out",
            r"garbage/a/1\.png: unreadable image \(cannot identify image file",
            None,
        ),
        (
            "images-of-another-size",
            "import imagefolder {in}/faces --size 64x64 --out {tmp}/out",
            r"faces/a/1\.png: image is 112x96, expected 64x64 \(images must share one size; pass --align",
            None,
        ),
        (
            "out-in-use",
            "import imagefolder {in}/faces --out {in}/taken",
            r"taken: output exists and is not an empty",
            None,
        ),
        (
            "out-is-a-file",
            "import imagefolder {in}/faces --out {in}/notes.txt",
            r"notes\.txt: output exists and is not a folder$",
            None,
        ),
        (
            "size-zero",
            "import imagefolder {in}/faces --align resize --size 0x96 --out {tmp}/out",
            r"--size '0x96' is not HEIGHTxWIDTH \(e\.g\. 112x96\) or 'auto'$",
            None,
        ),
        (
            "center-crop-leaves-no-pixels",
            "import imagefolder {in}/faces --align center-crop --size 1x1024 --out {tmp}/out",
            r"faces/a/1\.png: image is 112x96; a centred crop of 1x1024's aspect leaves no pixels$",
            None,
        ),
        (
            "size-not-numbers",
            "import imagefolder {in}/faces --align resize --size axb --out {tmp}/out",
            r"--size 'axb' is not HEIGHTxWIDTH",
            None,
        ),
        (
            "size-negative",
            "import imagefolder {in}/faces --align resize --size=-1x96 --out {tmp}/out",
            r"--size '-1x96' is not HEIGHTxWIDTH",
            None,
        ),
        (
            "size-taken-for-a-flag",
            "import imagefolder {in}/faces --align resize --size -1x96 --out {tmp}/out",
            r"import imagefolder: argument --size: expected one argument \(see `synface import imagefolder --help`\)$",
            None,
        ),
        (
            "unknown-align",
            "import imagefolder {in}/faces --align foo --out {tmp}/out",
            r"argument --align: invalid choice: 'foo' \(choose from",
            None,
        ),
        (
            "unknown-format",
            "import zip {in}/faces --out {tmp}/out",
            r"import: argument FORMAT: invalid choice: 'zip'",
            None,
        ),
        (
            "lfw-images-missing",
            "import lfw --images {in}/nosuch --pairs {in}/pairs.txt --out {tmp}/out",
            r"pairs\.txt:2: image .*/nosuch/Ann/Ann_0001\.jpg does not exist$",
            None,
        ),
        (
            "lfw-pairs-missing",
            "import lfw --images {in}/lfw_images --pairs {in}/nosuch.txt --out {tmp}/out",
            r"nosuch\.txt: cannot read pairs file \(\[Errno 2\] No such file or directory",
            None,
        ),
        (
            "lfw-pairs-a-fifo",
            "import lfw --images {in}/lfw_images --pairs {in}/fifo --out {tmp}/out",
            r"/fifo: --pairs is a FIFO; inputs are regular files or folders$",
            None,
        ),
        (
            "lfw-pairs-endless",
            "import lfw --images {in}/lfw_images --pairs /dev/zero --out {tmp}/out",
            r"^synface: error: /dev/zero: --pairs is a character device",
            None,
        ),
        (
            "lfw-pairs-short",
            "import lfw --images {in}/lfw_images --pairs {in}/short_pairs.txt --follow-symlinks --out {tmp}/out",
            r"short_pairs\.txt:3: file ends after 2 pairs; the header \(line 1\) promises 2 folds x 4 = 8 pairs$",
            None,
        ),
        (
            "lfw-pairs-header",
            "import lfw --images {in}/lfw_images --pairs {in}/header_pairs.txt --follow-symlinks --out {tmp}/out",
            r"header_pairs\.txt:1: header 'ten folds' is not 'n_folds n_per_fold'",
            None,
        ),
        (
            "lfw-matched-pair-of-one-image",
            "import lfw --images {in}/lfw_images --pairs {in}/self_pairs.txt --follow-symlinks --out {tmp}/out",
            r"self_pairs\.txt:2: matched pair of image 1 of 'Ann' with itself$",
            None,
        ),
        (
            "lfw-mismatched-pair-of-one-person",
            "import lfw --images {in}/lfw_images --pairs {in}/twice_pairs.txt --follow-symlinks --out {tmp}/out",
            r"twice_pairs\.txt:4: mismatched pair names 'Ann' twice \(it needs two people\)$",
            None,
        ),
        (
            "lfw-images-of-other-names",
            "import lfw --images {in}/faces --pairs {in}/pairs.txt --out {tmp}/out",
            r"pairs\.txt:2: image .*/faces/Ann/Ann_0001\.jpg does not exist$",
            None,
        ),
        (
            "synface-folder-not-numbered",
            "import synface {in}/released_badname --out {tmp}/out",
            r"released_badname/faces: expected identity folder 00003 \(folders are numbered 1\.\.N\)$",
            None,
        ),
        ("synface-missing", "import synface {in}/nosuch --out {tmp}/out", r"/nosuch: not a folder$", None),
        (
            "bin-one-image-in-every-pair",
            "import bin {in}/one_image.bin --out {tmp}/out",
            (
                r"one_image\.bin: image 0 recurs in 6,000 of the 12,000 slots; a verification pack holds one image "
                r"at most 100 times \(a corrupt or crafted pack\)$"
            ),
            None,
        ),
        (
            "bin-pair-of-one-image",
            "import bin {in}/self_pair.bin --out {tmp}/out",
            r"self_pair\.bin: pair 0 \(images 0 and 1\) compares an image with itself \(the same bytes twice\)$",
            None,
        ),
        (
            "bin-too-large",
            "import bin {big}/pack.bin --out {tmp}/out",
            r"/pack\.bin: larger than the 1,073,741,824 bytes this input may hold$",
            None,
        ),
        (
            "lfw-pairs-too-large",
            "import lfw --images {in}/lfw_images --pairs {big}/pairs.txt --out {tmp}/out",
            r"/pairs\.txt: larger than the 16,777,216 bytes this input may hold$",
            None,
        ),
        (
            "rec-index-too-large",
            "import rec {big}/rec --out {tmp}/out",
            r"rec/train\.idx: larger than the 16,777,216 bytes",
            None,
        ),
        (
            "rec-without-property",
            "import rec {in}/rec_noproperty --out {tmp}/out",
            r"rec_noproperty/property: no such file \(insightface's 'num_classes,height,width'\)$",
            None,
        ),
    ],
    "align": [
        ("missing", "align {in}/nosuch --out {tmp}/out", r"/nosuch: not a folder$", None),
        ("empty", "align {in}/empty --out {tmp}/out", r"/empty: no identity folders$", None),
        (
            "no-face-is-an-error",
            "align {in}/blank --no-face error --out {tmp}/out",
            r"blank/a/1\.png: MTCNN found no face \(--no-face error\)$",
            None,
        ),
        (
            "no-face-anywhere",
            "align {in}/blank --out {tmp}/out",
            r"no image left: MTCNN found no face in any of the 1 images \(.*blank/a/1\.png, \.\.\.\)$",
            None,
        ),
        ("unknown-template", "align {in}/faces --template vgg --out {tmp}/out", r"--template: invalid choice", None),
    ],
    "train": [
        ("negative-seed", "train --syn {tmp}/syn --seed -5 --out {tmp}/out", r"--seed -5: must be >= 0", None),
        (
            "huge-seed",
            f"train --syn {{tmp}}/syn --seed {2**40} --out {{tmp}}/out",
            r"--seed 1099511627776: must be <",
            None,
        ),
        ("batch-0", "train --syn {tmp}/syn --batch 0 --out {tmp}/out", r"batch must be >= 1, got 0", None),
        ("subset-0", "train --syn {in}/syn --syn-subset 0 4 --out {tmp}/out", r"--syn-subset 0: must be >= 1$", None),
        (
            "subset-not-whole",
            "train --real {in}/syn --real-subset 2 x --out {tmp}/out",
            r"--real-subset 'x' is not",
            None,
        ),
        (
            "embedding-too-large",
            "train --syn {in}/syn --embedding 1000000000 --out {tmp}/out",
            r"--embedding 1000000000: must be at most 4,096$",
            None,
        ),
        (
            "epochs-too-many",
            "train --syn {in}/syn --epochs 1000000 --out {tmp}/out",
            r"--epochs 1000000: must be at most 1,000$",
            None,
        ),
        (
            "metadata-lacks-a-column",
            TRAIN + " --syn {in}/no_phi --out {tmp}/out",
            r"no_phi/metadata\.csv: metadata lacks column\(s\) phi$",
            None,
        ),
        (
            "metadata-value-of-the-wrong-type",
            TRAIN + " --syn {in}/bad_identity --out {tmp}/out",
            r"bad_identity/metadata\.csv: column identity holds values that are not int64$",
            None,
        ),
        (
            "dataset-json-lacks-a-key",
            TRAIN + " --syn {in}/no_height --out {tmp}/out",
            r"no_height/dataset\.json: lacks key\(s\) height$",
            None,
        ),
        (
            "full-disk",
            TRAIN + " --syn {in}/syn --out {tmp}/out",
            r"/out/checkpoint\.pt: write failed \(\[enforce fail at inline_container\.cc:672\] \. unexpected pos 704",
            _fail_writes(torch, "save", TORCH_DISK_FULL),
        ),
        (
            "resume-negative-epoch",
            TRAIN + " --syn {in}/syn --out {in}/negative_epoch",
            r"negative_epoch/checkpoint\.pt: key 'epoch' is -1, expected a whole number in \[0, 10,000,000\]$",
            None,
        ),
        (
            "resume-huge-epoch",
            TRAIN + " --syn {in}/syn --out {in}/huge_epoch",
            r"huge_epoch/checkpoint\.pt: key 'epoch' is 1000000000000, expected a whole number in \[0, 10,000,000\]$",
            None,
        ),
        (
            "resume-log-a-string",
            TRAIN + " --syn {in}/syn --out {in}/str_log",
            r"str_log/checkpoint\.pt: key 'log' is 'xxxx.*', expected a list of 1 per-epoch rows \(dicts\), one per ",
            None,
        ),
        ("no-training-set", "train --out {tmp}/out", r"training needs a synthetic set \(--syn\), a real set", None),
        (
            "syn-missing",
            "train --syn {in}/nosuch --out {tmp}/out",
            r"nosuch: not a synface dataset \(no dataset\.json\)$",
            None,
        ),
        ("syn-a-file", "train --syn {in}/notes.txt --out {tmp}/out", r"notes\.txt: not a synface dataset", None),
        ("syn-an-empty-folder", "train --syn {in}/empty --out {tmp}/out", r"empty: not a synface dataset", None),
        (
            "subset-too-wide",
            "train --syn {in}/syn --syn-subset 100 4 --out {tmp}/out",
            r"/syn: subset asks for 100 identities, dataset has 4$",
            None,
        ),
        (
            "input-zero",
            "train --syn {in}/syn --input 0x0 --out {tmp}/out",
            r"input size '0x0' is not HxW with positive integers",
            None,
        ),
        (
            "input-too-large",
            "train --syn {in}/syn --input 100000x100000 --out {tmp}/out",
            r"--input 100000x100000: each side must be at most 1024$",
            None,
        ),
        (
            "input-larger-than-the-images",
            "train --syn {in}/syn --out {tmp}/out",
            r"synthetic set .*/syn: images are 32x32, smaller than the model input 112x96$",
            None,
        ),
        (
            "batch-larger-than-the-set",
            TRAIN.replace("--batch 8", "--batch 100") + " --syn {in}/syn --out {tmp}/out",
            r"/syn: 16 training images, fewer than one batch of 100$",
            None,
        ),
        ("lr-zero", "train --syn {in}/syn --lr 0 --out {tmp}/out", r"lr must be > 0 and at most 10, got 0\.0$", None),
        (
            "lr-negative",
            "train --syn {in}/syn --lr -1 --out {tmp}/out",
            r"lr must be > 0 and at most 10, got -1\.0$",
            None,
        ),
        ("lr-nan", "train --syn {in}/syn --lr nan --out {tmp}/out", r"lr must be > 0 and at most 10, got nan$", None),
        (
            "margin-negative",
            "train --syn {in}/syn --margin -1 --out {tmp}/out",
            r"margin must be >= 0 and below 3\.142 for arcface, got -1\.0$",
            None,
        ),
        (
            "scale-zero",
            "train --syn {in}/syn --scale 0 --out {tmp}/out",
            r"scale must be > 0 and at most 1000, got 0\.0$",
            None,
        ),
        ("scale-infinite", "train --syn {in}/syn --scale inf --out {tmp}/out", r"scale must be .*, got inf$", None),
        (
            "lr-huge",
            "train --syn {in}/syn --lr 1e6 --out {tmp}/out",
            r"lr must be > 0 and at most 10, got 1000000\.0$",
            None,
        ),
        ("margin-infinite", "train --syn {in}/syn --margin inf --out {tmp}/out", r"for arcface, got inf$", None),
        (
            "margin-100",
            "train --syn {in}/syn --margin 100 --out {tmp}/out",
            r"below 3\.142 for arcface, got 100\.0$",
            None,
        ),
        (
            "cosface-margin-5",
            "train --syn {in}/syn --head cosface --margin 5 --out {tmp}/out",
            r"margin must be >= 0 and below 2 for cosface, got 5\.0$",
            None,
        ),
        (
            "warmup-above-half",
            "train --syn {in}/syn --warmup 2 --out {tmp}/out",
            r"warmup must be a fraction of the steps in \[0, 0\.5\], got 2\.0$",
            None,
        ),
        ("warmup-negative", "train --syn {in}/syn --warmup -0.5 --out {tmp}/out", r"got -0\.5$", None),
        ("threads-0", "train --syn {in}/syn --threads 0 --out {tmp}/out", r"--threads 0: must be >= 1$", None),
        ("epochs-0", "train --syn {in}/syn --epochs 0 --out {tmp}/out", r"--epochs 0: must be >= 1$", None),
        ("embedding-0", "train --syn {in}/syn --embedding 0 --out {tmp}/out", r"--embedding 0: must be >= 1$", None),
        (
            "min-steps-negative",
            "train --syn {in}/syn --min-steps -1 --out {tmp}/out",
            r"--min-steps -1: must be >= 0$",
            None,
        ),
        (
            "unknown-head",
            "train --syn {in}/syn --head softmax --out {tmp}/out",
            r"--head: invalid choice: 'softmax'",
            None,
        ),
        ("unknown-arch", "train --syn {in}/syn --arch vgg16 --out {tmp}/out", r"--arch: invalid choice: 'vgg16'", None),
    ],
    "evaluate": [
        (
            "batch-0",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --batch 0 --out {tmp}/out",
            r"--batch 0: must be >= 1",
            None,
        ),
        (
            "text-model",
            "evaluate --model {in}/notes.txt --dataset {in}/lfw --out {tmp}/out",
            r"notes\.txt: not a synface model or checkpoint",
            None,
        ),
        (
            "pickle-model",
            "evaluate --model {in}/pickle.pt --dataset {in}/lfw --out {tmp}/out",
            r"pickle\.pt: refused as unsafe",
            None,
        ),
        (
            "nan-model",
            "evaluate --model {in}/nan.pt --dataset {in}/lfw --out {tmp}/out",
            r"nan\.pt: 1 weight tensor\(s\) hold NaN or inf, first [\w.]+ \(a diverged run\?\)$",
            None,
        ),
        (
            "model-without-arch",
            "evaluate --model {in}/no_arch.pt --dataset {in}/lfw --out {tmp}/out",
            r"no_arch\.pt: key 'arch' is missing \(expected one of lresnet50e_ir, .*\)$",
            None,
        ),
        (
            "model-embedding-a-string",
            "evaluate --model {in}/str_embedding.pt --dataset {in}/lfw --out {tmp}/out",
            r"str_embedding\.pt: key 'embedding' is '16', expected a whole number in \[1, 4,096\]$",
            None,
        ),
        (
            "model-input-huge",
            "evaluate --model {in}/huge_input.pt --dataset {in}/lfw --out {tmp}/out",
            (
                r"huge_input\.pt: key 'input_hw' is \[100000, 100000\], expected \[height, width\], each a whole "
                r"number in \[1, 1024\]$"
            ),
            None,
        ),
        (
            "truncated-shard",
            "evaluate --model {in}/model.pt --dataset {in}/truncated --out {tmp}/out",
            r"truncated/shard-00000\.npy: truncated shard: 589,852 bytes, its uint8 \(48, 64, 64, 3\) needs 589,952$",
            None,
        ),
        (
            "pickled-shard",
            "evaluate --model {in}/model.pt --dataset {in}/pickled --out {tmp}/out",
            r"pickled/shard-00000\.npy: shard holds Python objects \(a pickle\), not uint8 images; never loaded$",
            None,
        ),
        (
            "released-pickle",
            (
                "evaluate --model {in}/pickle.pt --arch lresnet10e_ir_tiny --input 32x32 --dataset {in}/lfw "
                "--out {tmp}/out"
            ),
            r"pickle\.pt: not a weights-only PyTorch checkpoint",
            None,
        ),
        (
            "released-text",
            "evaluate --model {in}/notes.txt --arch lresnet50e_ir --input 112x96 --dataset {in}/lfw --out {tmp}/out",
            r"notes\.txt: not a weights-only PyTorch checkpoint",
            None,
        ),
        (
            "arch-without-input",
            "evaluate --model {in}/model.pt --arch lresnet50e_ir --dataset {in}/lfw --out {tmp}/out",
            r"--arch and --input go together",
            None,
        ),
        (
            "unknown-arch",
            "evaluate --model {in}/model.pt --arch resnet50 --input 112x96 --dataset {in}/lfw --out {tmp}/out",
            r"unknown architecture 'resnet50'; known: lresnet50e_ir",
            None,
        ),
        (
            "bad-input-size",
            "evaluate --model {in}/model.pt --arch lresnet50e_ir --input 112 --dataset {in}/lfw --out {tmp}/out",
            r"input size '112' is not HxW",
            None,
        ),
        ("same-not-boolean", "evaluate --scores {in}/yes.csv --out {tmp}/out", r"yes\.csv:3: same 'yes' is not", None),
        (
            "score-not-cosine",
            "evaluate --scores {in}/range.csv --out {tmp}/out",
            r"range\.csv:2: score '1.5' is outside \[-1, 1\]",
            None,
        ),
        (
            "full-disk",
            "evaluate --scores {in}/good.csv --out {tmp}/out",
            r"/out: write failed \(No space left on device\)$",
            _fail_writes(Path, "write_text", DISK_FULL),
        ),
        (
            "model-missing",
            "evaluate --model {in}/nosuch.pt --dataset {in}/lfw --out {tmp}/out",
            r"nosuch\.pt: cannot read \(\[Errno 2\] No such file or directory",
            None,
        ),
        (
            "dataset-missing",
            "evaluate --model {in}/model.pt --dataset {in}/nosuch --out {tmp}/out",
            r"nosuch: not a synface dataset \(no dataset\.json\)$",
            None,
        ),
        (
            "dataset-without-pairs",
            "evaluate --model {in}/model.pt --dataset {in}/no_pairs --out {tmp}/out",
            r"no_pairs: no verification pairs \(pairs\.csv\)$",
            None,
        ),
        ("model-without-dataset", "evaluate --model {in}/model.pt --out {tmp}/out", r"--model needs --dataset", None),
        (
            "model-and-scores",
            "evaluate --model {in}/model.pt --scores {in}/good.csv --out {tmp}/out",
            r"evaluate: argument --scores: not allowed with argument --model",
            None,
        ),
        (
            "neither-model-nor-scores",
            "evaluate --out {tmp}/out",
            r"one of the arguments --model --scores is required",
            None,
        ),
        (
            "scores-with-a-dataset",
            "evaluate --scores {in}/good.csv --dataset {in}/lfw --out {tmp}/out",
            r"--scores takes no --dataset, --scores-out, --flip, --arch, --input or --embedding$",
            None,
        ),
        (
            "scores-with-an-embedding",
            "evaluate --scores {in}/good.csv --embedding 7 --out {tmp}/out",
            r"--scores takes no --dataset",
            None,
        ),
        (
            "embedding-without-arch",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --embedding 7 --out {tmp}/out",
            r"--embedding goes with --arch and --input \(a model file knows its own\)$",
            None,
        ),
        (
            "released-of-another-embedding",
            (
                "evaluate --model {in}/model.pt --arch lresnet10e_ir_tiny --input 32x32 --embedding 7 "
                "--dataset {in}/lfw --out {tmp}/out"
            ),
            r"model\.pt does not fit the model; shape mismatch: fc\.3\.weight \(16, 256\) vs model \(7, 256\)",
            None,
        ),
        (
            "input-too-large",
            (
                "evaluate --model {in}/model.pt --arch lresnet10e_ir_tiny --input 100000x100000 "
                "--dataset {in}/lfw --out {tmp}/out"
            ),
            r"--input 100000x100000: each side must be at most 1024$",
            None,
        ),
        (
            "threads-0",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --threads 0 --out {tmp}/out",
            r"--threads 0: must be >= 1$",
            None,
        ),
        (
            "out-is-a-folder",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --out {in}/taken",
            r"--out .*/taken: is a folder; give the path of a file$",
            None,
        ),
        (
            "scores-out-is-a-folder",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --scores-out {in}/taken --out {tmp}/out",
            r"--scores-out .*/taken: is a folder; give the path of a file$",
            None,
        ),
        (
            "dataset-json-too-large",
            "evaluate --model {in}/model.pt --dataset {big}/lfw --out {tmp}/out",
            r"lfw/dataset\.json: larger than the 16,777,216 bytes this input may hold$",
            None,
        ),
        (
            "dataset-json-nested-too-deeply",
            "evaluate --model {in}/model.pt --dataset {in}/deep_json --out {tmp}/out",
            r"deep_json/dataset\.json: invalid JSON \(nested too deeply\)$",
            None,
        ),
        (
            "out-overwrites-the-model",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --out {in}/model.pt",
            r"model\.pt: --out would overwrite --model .*model\.pt$",
            None,
        ),
        (
            "scores-out-inside-the-dataset",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --scores-out {in}/lfw/pairs.csv --out {tmp}/out",
            r"lfw/pairs\.csv: --scores-out lies inside --dataset .*/lfw$",
            None,
        ),
        (
            "out-overwrites-the-scores",
            "evaluate --scores {in}/good.csv --out {in}/good.csv",
            r"good\.csv: --out would overwrite --scores .*good\.csv$",
            None,
        ),
        (
            "both-outputs-one-file",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --scores-out {tmp}/out --out {tmp}/out",
            r"/out: --scores-out and --out name the same file$",
            None,
        ),
        (
            "scores-missing",
            "evaluate --scores {in}/nosuch.csv --out {tmp}/out",
            r"nosuch\.csv: cannot read scores",
            None,
        ),
        (
            "scores-lack-a-column",
            "evaluate --scores {in}/score_only.csv --out {tmp}/out",
            r"score_only\.csv:1: header lacks column\(s\) same \(expected 'score,same'\)$",
            None,
        ),
        (
            "score-nan",
            "evaluate --scores {in}/nan.csv --out {tmp}/out",
            r"nan\.csv:2: score 'nan' is not finite$",
            None,
        ),
        (
            "scores-short-row",
            "evaluate --scores {in}/short_row.csv --out {tmp}/out",
            r"short_row\.csv:3: expected 2 fields, got 1$",
            None,
        ),
        (
            "scores-column-twice",
            "evaluate --scores {in}/score_twice.csv --out {tmp}/out",
            r"score_twice\.csv:1: column 'score' appears twice in the header$",
            None,
        ),
        (
            "scores-huge-field",
            "evaluate --scores {in}/huge_field.csv --out {tmp}/out",
            r"huge_field\.csv:3: field larger than field limit \(131072\)$",
            None,
        ),
        (
            "scores-too-large",
            "evaluate --scores {big}/scores.csv --out {tmp}/out",
            r"/scores\.csv: larger than the 67,108,864 bytes this input may hold$",
            None,
        ),
        (
            "scores-without-rows",
            "evaluate --scores {in}/header_only.csv --out {tmp}/out",
            r"header_only\.csv: 0 data rows \(lines 2-1\) are fewer than the 10 folds$",
            None,
        ),
    ],
    "bench": [
        (
            "render-too-many-images",
            "bench render --ids 100000000 --per-id 25",
            r"--ids 100000000 x --per-id 25 = 2,500,000,000 images; one call renders at most 1,000,000$",
            None,
        ),
        ("render-ids-0", "bench render --ids 0", r"--ids 0: must be >= 1$", None),
        ("realism-too-many-images", "bench realism --ids 2000 --per-id 1000", r"= 2,000,000 images", None),
        ("train-batch-too-large", "bench train --batch 1000000", r"--batch 1000000: must be at most 4,096$", None),
        (
            "train-steps-too-many",
            "bench train --steps 1000000000",
            r"--steps 1000000000: must be at most 10,000$",
            None,
        ),
        ("train-rounds-0", "bench train --rounds 0", r"--rounds 0: must be >= 1$", None),
        ("render-per-id-0", "bench render --per-id 0", r"--per-id 0: must be >= 1$", None),
        ("render-threads-0", "bench render --threads 0", r"--threads 0: must be >= 1$", None),
        ("realism-ids-0", "bench realism --ids 0", r"--ids 0: must be >= 1$", None),
        (
            "realism-unknown-domain",
            "bench realism --domain foo",
            r"unknown domain 'foo'; choose one of synthetic, real$",
            None,
        ),
        ("realism-unknown-factor", "bench realism --factor sideways", r"unknown factor mode 'sideways'", None),
        (
            "realism-real-factor",
            "bench realism --domain real --factor pose",
            r"--factor is synthetic-only: real photos draw every factor per photo$",
            None,
        ),
        ("realism-sheet-is-a-folder", "bench realism --sheet {in}/taken", r"--sheet .*/taken: is a folder", None),
        ("train-input-zero", "bench train --input 0x0", r"input size '0x0' is not HxW", None),
        ("train-input-too-large", "bench train --input 100000x100000", r"each side must be at most 1024$", None),
        ("train-dataset-missing", "bench train --dataset {in}/nosuch", r"nosuch: not a synface dataset", None),
        ("train-threads-0", "bench train --threads 0", r"--threads 0: must be >= 1$", None),
        (
            "train-unknown-arch",
            "bench train --arch resnet",
            r"bench train: argument --arch: invalid choice: 'resnet'",
            None,
        ),
        ("unknown-benchmark", "bench gpu", r"bench: argument BENCHMARK: invalid choice: 'gpu'", None),
    ],
    "results": [
        ("unknown-table", "results nosuch --results {in}/results", r"unknown table 'nosuch'; choose one of", None),
        ("not-built", "results width_depth --results {in}/results", r"width_depth\.csv not built; build with", None),
        (
            "short-row",
            "results attributes --results {in}/results_short_row",
            r"results_short_row/tables/attributes\.csv:3: expected 13 fields, got 12$",
            None,
        ),
        (
            "column-twice",
            "results attributes --results {in}/results_twice",
            r"results_twice/tables/attributes\.csv:1: column 'std' appears twice in the header$",
            None,
        ),
        (
            "huge-field",
            "results attributes --results {in}/results_huge_field",
            r"results_huge_field/tables/attributes\.csv:2: field larger than field limit \(131072\)$",
            None,
        ),
        (
            "table-too-large",
            "results attributes --results {big}/results",
            r"results/tables/attributes\.csv: larger than the 67,108,864 bytes this input may hold$",
            None,
        ),
        (
            "no-results-folder",
            "results --results {in}/nosuch",
            r"nosuch/tables: no result tables; build them with `make reproduce`",
            None,
        ),
    ],
    "model": [
        (
            "unknown-arch",
            "model summary --arch resnet --input 112x96",
            r"unknown architecture 'resnet'; known: lresnet50e_ir",
            None,
        ),
        ("input-not-hxw", "model summary --arch lresnet10e_ir --input 112", r"input size '112' is not HxW", None),
        ("input-zero", "model summary --arch lresnet10e_ir --input 0x0", r"input size '0x0' is not HxW", None),
        (
            "input-too-large",
            "model summary --arch lresnet10e_ir --input 100000x100000",
            r"--input 100000x100000: each side must be at most 1024$",
            None,
        ),
        (
            "embedding-0",
            "model summary --arch lresnet10e_ir --input 112x96 --embedding 0",
            r"--embedding 0: must be >= 1$",
            None,
        ),
        (
            "input-missing",
            "model summary --arch lresnet10e_ir",
            r"model summary: the following arguments are required",
            None,
        ),
        ("no-action", "model", r"model: the following arguments are required: ACTION", None),
    ],
    "dvc-yaml": [
        (
            "config-missing",
            "dvc-yaml --config {in}/nosuch.yaml --out {tmp}/out",
            r"nosuch\.yaml: cannot read the config \(\[Errno 2\]",
            None,
        ),
        (
            "config-not-yaml",
            "dvc-yaml --config {in}/bad_yaml.yaml --out {tmp}/out",
            r"bad_yaml\.yaml: cannot read the config \(line 2: expected ',' or '\]', but got '<stream end>'\)$",
            None,
        ),
        (
            "config-alias-bomb",
            "dvc-yaml --config {in}/alias_bomb.yaml --out {tmp}/out",
            r"alias_bomb\.yaml: cannot read the config \(line 2: an alias \(\*name\): not allowed in a config\)$",
            None,
        ),
        (
            "config-duplicate-key",
            "dvc-yaml --config {in}/twice.yaml --out {tmp}/out",
            r"twice\.yaml: cannot read the config \(line 3: duplicate key 'training'\)$",
            None,
        ),
        (
            "config-nested-too-deeply",
            "dvc-yaml --config {in}/deep.yaml --out {tmp}/out",
            r"deep\.yaml: cannot read the config \(nested too deeply\)$",
            None,
        ),
        (
            "config-binary",
            "dvc-yaml --config {in}/binary.yaml --out {tmp}/out",
            r"binary\.yaml: not UTF-8 text \(byte 0: invalid start byte\)$",
            None,
        ),
        (
            "config-too-large",
            "dvc-yaml --config {in}/big.yaml --out {tmp}/out",
            r"big\.yaml: larger than the 1,048,576 bytes this input may hold$",
            None,
        ),
        ("config-a-fifo", "dvc-yaml --config {in}/fifo --out {tmp}/out", r"/fifo: --config is a FIFO", None),
        (
            "config-endless",
            "dvc-yaml --config /dev/zero --out {tmp}/out",
            r"^synface: error: /dev/zero: --config is a character device",
            None,
        ),
        (
            "config-not-a-mapping",
            "dvc-yaml --config {in}/notes.txt --out {tmp}/out",
            r"notes\.txt: a config is a mapping of keys, not str$",
            None,
        ),
        (
            "config-unknown-key",
            "dvc-yaml --config {in}/unknown_key.yaml --out {tmp}/out",
            r"unknown_key\.yaml: Additional properties are not allowed \('trainig' was unexpected\)$",
            None,
        ),
        (
            "out-is-a-folder",
            "dvc-yaml --out {in}/taken",
            r"--out .*/taken: is a folder; give the path of a file$",
            None,
        ),
    ],
    "outputs": [
        (f"{command}-{case}", f"{argv} {out}", culprit, None)
        for command, argv in OUTPUT_ARGUMENTS.items()
        for case, out, culprit in SPECIAL_OUTPUTS
    ],
    "inputs": [
        (
            "train-out-is-the-input",
            TRAIN + " --syn {in}/syn --out {in}/syn",
            r"/syn: --out would overwrite --syn .*/syn$",
            None,
        ),
        (
            "train-out-inside-the-input",
            TRAIN + " --syn {in}/syn --out {in}/syn/run",
            r"/syn/run: --out lies inside --syn .*/syn$",
            None,
        ),
        (
            "train-out-contains-the-input",
            TRAIN + " --real {in}/syn --out {in}",
            r": --out contains --real .*/syn$",
            None,
        ),
        (
            "import-out-inside-the-input",
            "import imagefolder {in}/faces --out {in}/faces/zz_out",
            r"faces/zz_out: --out lies inside DIR .*/faces$",
            None,
        ),
        (
            "import-out-inside-the-input-by-a-link",
            "import imagefolder {in}/faces --out {in}/faces_link/zz_out",
            r"faces_link/zz_out: --out lies inside DIR .*/faces$",
            None,
        ),
        (
            "lfw-out-inside-the-images",
            "import lfw --images {in}/lfw_images --pairs {in}/pairs.txt --out {in}/lfw_images/out",
            r"lfw_images/out: --out lies inside --images .*/lfw_images$",
            None,
        ),
        ("bin-pack-a-fifo", "import bin {in}/fifo --out {tmp}/out", r"/fifo: FILE is a FIFO; inputs are regular", None),
        (
            "evaluate-model-a-device",
            "evaluate --model /dev/zero --dataset {in}/lfw --out {tmp}/out",
            r"^synface: error: /dev/zero: --model is a character device; inputs are regular files or folders$",
            None,
        ),
        (
            "evaluate-scores-a-fifo",
            "evaluate --scores {in}/fifo --out {tmp}/out",
            r"/fifo: --scores is a FIFO; inputs are regular files or folders$",
            None,
        ),
        ("bin-out-is-the-pack", "import bin {in}/notes.txt --out {in}/notes.txt", r"--out would overwrite FILE ", None),
        (
            "align-out-is-the-input",
            "align {in}/faces --out {in}/faces",
            r"/faces: --out would overwrite DIR .*/faces$",
            None,
        ),
        (
            "dvc-yaml-out-is-the-config",
            "dvc-yaml --config {in}/unknown_key.yaml --out {in}/unknown_key.yaml",
            r"unknown_key\.yaml: --out would overwrite --config .*unknown_key\.yaml$",
            None,
        ),
    ],
    "synface": [
        ("unknown-command", "serve", r"^synface: error: argument COMMAND: invalid choice: 'serve'", None),
        (
            "no-command",
            "",
            r"^synface: error: the following arguments are required: COMMAND \(see `synface --help`\)$",
            None,
        ),
    ],
}


def _rows(table: dict[str, list[tuple]]) -> list:
    return [
        pytest.param(command, *row[1:], id=f"{command}-{row[0]}") for command, rows in table.items() for row in rows
    ]


def _left_behind(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob(".*") if ".tmp-" in p.name or p.name.endswith(".lock")]


@pytest.mark.parametrize("command, argv, culprit, patch", _rows(BAD))
def test_a_bad_input_is_refused_in_one_line_leaving_nothing(
    inputs, huge, tmp_path, capsys, monkeypatch, command, argv, culprit, patch
):
    before = _snapshot(inputs)
    if patch is not None:
        patch(monkeypatch)
    code = main(argv.format(tmp=tmp_path, big=huge, **{"in": inputs}).split())
    err = capsys.readouterr().err
    *progress, message = err.splitlines()  # a command that had started shows its progress bar first
    assert code == 2
    assert message.startswith("synface: error: ") and re.search(culprit, message), err
    assert not any(line.startswith("synface") or "Traceback" in line for line in progress), err
    out = tmp_path / "out"
    assert not out.is_file() and not [p for p in out.rglob("*") if p.is_file()]  # at most a bare run folder
    assert not _left_behind(tmp_path, inputs)
    assert not (inputs / "unpickled").exists()  # no payload ever ran
    assert _snapshot(inputs) == before


# Per command: (id, argv, what stdout must match, a file the command must have written (relative to {tmp}))
GOOD = {
    "render": [
        ("tiny-set", "render --ids 2 --per-id 1 --seed 3 --out {tmp}/out", r"^$", "out/metadata.csv"),
        ("stand-in-real-photos", "render --domain real --ids 2 --per-id 2 --out {tmp}/out", r"^$", "out/metadata.csv"),
    ],
    "import": [
        (
            "imagefolder",
            "import imagefolder {in}/faces --out {tmp}/out",
            r'^\{"identities": 2, "images": 4, "pairs": 0\}$',
            "out/dataset.json",
        ),
        (
            "imagefolder-following-links",
            "import imagefolder {in}/linked_file --follow-symlinks --out {tmp}/out",
            r'^\{"identities": 2, "images": 5, "pairs": 0\}$',
            "out/dataset.json",
        ),
        (
            "synface-links-inside-the-tree",
            "import synface {in}/released --out {tmp}/out",
            r'^\{"identities": 2, "images": 2, "pairs": 0\}$',
            "out/dataset.json",
        ),
        (
            "lfw-following-links",
            "import lfw --images {in}/lfw_images --pairs {in}/pairs.txt --follow-symlinks --out {tmp}/out",
            r'^\{"identities": 4, "images": 9, "pairs": 8\}$',
            "out/pairs.csv",
        ),
        (
            "size-of-the-first-image",
            "import imagefolder {in}/faces --size auto --out {tmp}/out",
            r'^\{"identities": 2, "images": 4, "pairs": 0\}$',
            "out/dataset.json",
        ),
        (
            "resize-at-the-largest-size",
            "import imagefolder {in}/faces --align resize --size 1024x1024 --out {tmp}/out",
            r'"images": 4',
            "out/shard-00000.npy",
        ),
    ],
    "train": [
        (
            "tiny-run",
            TRAIN + " --syn {in}/syn --out {tmp}/out",
            r'^\{"model": ".*/out/model\.pt", "log": ',
            "out/model.pt",
        )
    ],
    "evaluate": [
        (
            "model",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --threads 1 --out {tmp}/out",
            r'^\{"accuracy_mean": [0-9.]+, ',
            "out",
        ),
        ("scores", "evaluate --scores {in}/good.csv --out {tmp}/out", r'^\{"accuracy_mean": 1\.0, ', "out"),
        (
            "scores-out",
            "evaluate --model {in}/model.pt --dataset {in}/lfw --threads 1 --scores-out {tmp}/scores.csv",
            r'^\{"accuracy_mean": [0-9.]+, ',
            "scores.csv",
        ),
    ],
    "bench": [("train-tiny", BENCH_TRAIN, r'^\{"arch": "lresnet10e_ir_tiny", "input": \[28, 24\], "batch": 8, ', None)],
    "results": [("one-table", "results attributes --results {in}/results", r"^attributes, test lfw, seeds 3", None)],
    "model": [("summary", "model summary --arch lresnet10e_ir_tiny --input 28x24 --embedding 128", r"\S", None)],
    "dvc-yaml": [("smoke", "dvc-yaml --config config/smoke.yaml --out {tmp}/dvc.yaml", r"/dvc\.yaml$", "dvc.yaml")],
}


@pytest.mark.parametrize("command, argv, output, written", _rows(GOOD))
def test_a_good_input_keeps_working(inputs, tmp_path, capsys, monkeypatch, command, argv, output, written):
    monkeypatch.chdir(ROOT)  # dvc-yaml's config path is relative to the repository
    before = _snapshot(inputs)
    code = main(argv.format(tmp=tmp_path, **{"in": inputs}).split())
    out, err = capsys.readouterr()
    assert code == 0, err
    assert re.search(output, out.strip().splitlines()[0] if out.strip() else ""), out
    assert written is None or (tmp_path / written).is_file()
    assert not _left_behind(tmp_path, inputs)
    assert _snapshot(inputs) == before


def test_the_help_and_the_docs_say_inputs_are_regular_files_under_their_caps():
    from synface.cli import build_parser

    help_text = " ".join(build_parser().format_help().split())
    docs = " ".join((ROOT / "docs/cli.md").read_text().split())
    for text in (help_text, docs):
        assert "Inputs are regular files or folders: a device, FIFO or socket is refused" in text
        assert re.search(r"a config 1 MiB; a pairs list, RecordIO index or property, or JSON 16 MiB; .*64 MiB", text)
        assert "pack 1 GiB" in text
