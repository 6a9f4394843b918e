"""Shared by scripts/run and scripts/test: a project virtualenv, installed once per requirements change."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("CRS_VENV", ROOT / ".venv"))
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")

if sys.version_info < (3, 11):
    sys.exit(f"CRS Simulator needs Python 3.11 or newer; this is {sys.version.split()[0]}.")


def _digest(requirements: Path) -> str:
    text = "".join(p.read_text() for p in sorted(ROOT.glob("requirements*.txt")))
    return hashlib.sha256((str(requirements) + text).encode()).hexdigest()


def ensure_venv(requirements: str) -> Path:
    """Create .venv and install ``requirements`` into it, unless that was already done."""
    path = ROOT / requirements
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / f".installed-{path.stem}"
    digest = _digest(path)
    if not stamp.exists() or stamp.read_text() != digest:
        print(f"Installing {requirements} ...", flush=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(path)], check=True, cwd=ROOT)
        stamp.write_text(digest)
    return PYTHON


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.run([str(PYTHON), "manage.py", *args], check=True, cwd=ROOT, env=env)
