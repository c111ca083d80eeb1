"""Output locking: a second writer of one output folder fails at once, naming the holder; stale temporaries go."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from repo_copy import ROOT

from synface.cli import main
from synface.data.storage import Dataset
from synface.errors import SynfaceError
from synface.io.atomic import new_folder, output_lock

HOLDER = """import sys
from synface.io.atomic import new_folder, output_lock
with (output_lock if sys.argv[2] == "lock" else new_folder)(sys.argv[1]):
    print("locked", flush=True)
    sys.stdin.read()
"""


@contextlib.contextmanager
def held_by_another_process(out: Path, how: str = "lock") -> Iterator[subprocess.Popen]:
    """A second Python process holding `output_lock(out)` (or writing `new_folder(out)`) until the block ends."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert holder.stdout.readline() == "locked\n"
        yield holder
    finally:
        if holder.poll() is None:
            holder.stdin.close()
        holder.wait(timeout=60)


@pytest.fixture
def identity_folder(tmp_path: Path) -> Path:
    """Two identities of one 112x96 image each, for `synface import imagefolder`."""
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        (tmp_path / "src" / name).mkdir(parents=True)
        Image.fromarray(rng.integers(0, 256, (112, 96, 3), dtype=np.uint8)).save(tmp_path / "src" / name / "1.png")
    return tmp_path / "src"


def _commands(tmp_path: Path, identity_folder: Path) -> dict[str, list[str]]:
    return {
        "import": ["import", "imagefolder", str(identity_folder)],
        "render": ["render", "--ids", "2", "--per-id", "1"],
        "train": ["train", "--syn", str(tmp_path / "absent"), "--arch", "lresnet10e_ir_tiny", "--input", "32x32"],
    }


@pytest.mark.parametrize("command", ["import", "render", "train"])
def test_a_second_writer_fails_at_once_naming_the_folder_and_the_holder(tmp_path, capsys, identity_folder, command):
    out = tmp_path / "out"
    with held_by_another_process(out) as holder:
        code = main([*_commands(tmp_path, identity_folder)[command], "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"synface: error: {out}: another run is writing this output")
    assert f"pid {holder.pid} on " in err[0]
    assert not out.exists()  # refused before writing anything


def test_the_lock_is_released_when_its_holder_ends_or_dies(tmp_path, capsys, identity_folder):
    out = tmp_path / "ds"
    with held_by_another_process(out):
        pass
    assert main(["import", "imagefolder", str(identity_folder), "--out", str(out)]) == 0
    assert len(Dataset.open(out)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds", "src"]  # no lock file left behind
    run = tmp_path / "run"
    with held_by_another_process(run) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=60)
        # the kernel dropped the dead holder's lock, so its lock file is taken; a second holder is refused
        with output_lock(run), pytest.raises(SynfaceError, match=f"pid {os.getpid()} on "), output_lock(run):
            pass
    assert not (tmp_path / ".run.lock").exists()


def test_taking_the_lock_removes_a_killed_writers_temporaries_only(tmp_path):
    run = tmp_path / "run"
    (run / ".checkpoint.pt.tmp-k1").mkdir(parents=True)  # inside a run folder: its files' temporaries
    (run / "checkpoint.pt").write_text("kept")
    (tmp_path / ".run.tmp-k2").mkdir()  # the folder's own temporary
    (tmp_path / ".run.tmp-k2" / "shard-00000.npy").write_text("x")
    (tmp_path / ".runs.tmp-k3").mkdir()  # another output's: not ours to remove
    with output_lock(run):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == [".runs.tmp-k3", "run"]
    assert [p.name for p in run.iterdir()] == ["checkpoint.pt"]


def test_a_live_writers_temporary_inside_a_locked_folder_is_left_alone(tmp_path):
    runs = tmp_path / "runs"
    with held_by_another_process(runs / "faces", "write") as writer:
        [temporary] = runs.glob(".faces.tmp-*")  # the render's folder, still being written
        with output_lock(runs):  # e.g. a training run taking `runs` as its run folder
            pass
        assert temporary.is_dir()
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        with output_lock(runs):  # now its writer is provably gone
            pass
    assert [p.name for p in runs.iterdir()] == [".faces.lock"]  # its lock file: taken by the next writer


@pytest.mark.parametrize("command", ["import", "train"])
def test_two_names_of_one_folder_share_its_lock(tmp_path, capsys, identity_folder, command):
    (tmp_path / "kt").mkdir()
    (tmp_path / "ktlink").symlink_to("kt")
    with held_by_another_process(tmp_path / "kt"):
        code = main([*_commands(tmp_path, identity_folder)[command], "--out", str(tmp_path / "ktlink")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and f"{tmp_path / 'ktlink'}: another run is writing this output" in err[0]
    assert list((tmp_path / "kt").iterdir()) == []


def test_publishing_never_deletes_what_appeared_in_the_folder_meanwhile(tmp_path):
    out = tmp_path / "out"
    filled = f"^{out}: output exists and is not an empty folder \\(it was filled"
    with pytest.raises(SynfaceError, match=filled), new_folder(out) as tmp:
        (tmp / "mine.txt").write_text("ours")
        out.mkdir()
        (out / "theirs.txt").write_text("someone else's")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["out", "theirs.txt"]


def test_the_current_folder_as_output_is_written_in_place(tmp_path, capsys, monkeypatch):
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    assert main(["render", "--ids", "2", "--per-id", "1", "--no-im", "--out", "."]) == 0
    assert (tmp_path / "here" / "metadata.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here"]


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_output_folders_and_files_follow_the_umask(tmp_path, capsys, identity_folder, umask):
    previous = os.umask(umask)
    try:
        assert main(["import", "imagefolder", str(identity_folder), "--out", str(tmp_path / "ds")]) == 0
        with new_folder(tmp_path / "plain") as tmp:
            (tmp / "sub").mkdir()
    finally:
        os.umask(previous)
    for folder in (tmp_path / "ds", tmp_path / "plain", tmp_path / "plain" / "sub"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask, folder  # not mkdtemp's 0700
    assert stat.S_IMODE((tmp_path / "ds" / "shard-00000.npy").stat().st_mode) == 0o666 & ~umask
