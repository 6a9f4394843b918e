"""The apps' dependencies point one way, and import-linter's contract (pyproject.toml) holds it there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "portal", "classroom", "operations", "transparency", "feed", "filing", "review", "audit",
            "reports")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=120)


def copy_of_the_project(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.html",
                                                                                         "*.css", "*.js", "*.yaml"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_project_keeps_its_layers(tmp_path):
    result = lint_imports(copy_of_the_project(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path):
    # given: the record imports the review workflow, as reports/services.py once did
    tree = copy_of_the_project(tmp_path)
    with (tree / "reports" / "limits.py").open("a") as module:
        module.write("\nfrom review import tasks  # noqa\n")

    result = lint_imports(tree)

    assert result.returncode == 1
    assert "reports is not allowed to import review" in result.stdout
    assert "reports.limits -> review.tasks" in result.stdout
