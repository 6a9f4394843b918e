"""The README's second command on a machine without Chromium: one line that says why and how to fix it.

Run as a newcomer runs it, in a process whose PATH holds nothing but Python (no chromium, no
apt-get) and where Playwright can download nothing: the browser tests are reported as not run
with that one line, never as a wall of launch errors; CI's CRS_REQUIRE_BROWSER=1 makes it an error.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER_TESTS = "tests/portal/test_browser.py"


def run_without_chromium(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {"HOME": str(tmp_path), "PATH": str(bin_dir), "PLAYWRIGHT_BROWSERS_PATH": str(tmp_path / "browsers"),
           "PLAYWRIGHT_DOWNLOAD_HOST": "http://127.0.0.1:9", **extra}  # nothing listens on port 9
    return subprocess.run([sys.executable, "scripts/test", "-n", "0", "-p", "no:cacheprovider", "-q", "-m", "browser",
                           BROWSER_TESTS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_without_any_chromium_the_browser_tests_are_reported_as_not_run_in_one_line(tmp_path):
    done = run_without_chromium(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    explanation = [line for line in done.stdout.splitlines() if line.startswith("The browser tests were not run")]
    assert explanation, done.stdout
    assert "apt-get install chromium" in explanation[0] and "CRS_CHROMIUM" in explanation[0]
    assert " skipped" in done.stdout and "passed" not in done.stdout
    assert "Error" not in done.stdout + done.stderr and "Traceback" not in done.stdout + done.stderr


def test_ci_refuses_to_run_without_the_browser_tests(tmp_path):
    done = run_without_chromium(tmp_path, CRS_REQUIRE_BROWSER="1")

    assert done.returncode != 0
    assert "CRS_REQUIRE_BROWSER=1, and: The browser tests were not run" in done.stdout + done.stderr


@pytest.mark.parametrize("name", ["chromium", "chromium-browser"])
def test_a_chromium_on_the_path_is_used_as_it_is(tmp_path, name):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from _browser import chromium_for_tests
    finally:
        sys.path.pop(0)
    binary = tmp_path / name
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)

    assert chromium_for_tests(Path(sys.executable), {"PATH": str(tmp_path)}, root=ROOT) == (str(binary), None)
