"""make test's own harness: a crashed or hung test fails by name in bounded time, and the run goes on."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from repo_copy import ROOT


def test_a_crash_and_a_hang_fail_by_name_and_the_rest_still_runs(tmp_path: Path) -> None:
    """The suite's conftest (its xdist scheduler) and pyproject's timeout method, on a crash (os.abort),
    a hang past the timeout and tests beside them: pytest-xdist 3.8.0's own loadgroup scheduler reruns
    the crash on the next worker and then stops with an INTERNALERROR or waits forever."""
    shutil.copy(ROOT / "tests/conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_bad.py").write_text(
        "import os, time\n\ndef test_aborts():\n    os.abort()\n\ndef test_hangs():\n    time.sleep(600)\n"
    )
    (tmp_path / "test_good.py").write_text(
        "import pytest\n\n@pytest.mark.parametrize('i', range(6))\ndef test_passes(i):\n    assert i >= 0\n"
    )
    # the options make test and pyproject.toml give, with a short timeout
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup"]
    cmd += ["--timeout", "5", "-o", "timeout_method=thread", "--rootdir", str(tmp_path), str(tmp_path)]
    try:
        run = subprocess.run(cmd, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("the run did not end within 120 s")
    out = run.stdout
    assert run.returncode == 1, out[-2000:]
    assert "INTERNALERROR" not in out
    assert "crashed while running 'test_bad.py::test_aborts'" in out
    assert "crashed while running 'test_bad.py::test_hangs'" in out
    assert "2 failed, 6 passed" in out
