"""Finding a Chromium for the browser tests, in the order a newcomer's machine offers one.

The system's Chromium; else Debian's ``chromium`` package when this runs as root with apt;
else one Playwright downloads. When none can be had, one line says why and how to fix it,
and the browser tests are reported as not run (CI, which needs them, sets CRS_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
HOW_TO_FIX = ("install one (Debian/Ubuntu: sudo apt-get install chromium; elsewhere, with network access: "
              ".venv/bin/python -m playwright install chromium) or point CRS_CHROMIUM at a Chromium binary")


def system_chromium(env: dict) -> str | None:
    configured = env.get("CRS_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=env.get("PATH"))
        if found:
            return found
    return None


def playwright_chromium(python: Path, env: dict) -> str | None:
    """The Chromium Playwright downloaded earlier, if it is there."""
    probe = ("from playwright.sync_api import sync_playwright\n"
             "with sync_playwright() as p: print(p.chromium.executable_path)")
    done = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, env=env, check=False)
    path = done.stdout.strip()
    return path if done.returncode == 0 and path and Path(path).exists() else None


def chromium_for_tests(python: Path, env: dict, *, root: Path) -> tuple[str | None, str | None]:
    """(path of a Chromium, None), or (None, one line saying why there is none and how to fix it)."""
    found = system_chromium(env)
    if found:
        return found, None
    if env.get("CRS_CHROMIUM"):
        return None, f"CRS_CHROMIUM={env['CRS_CHROMIUM']} does not exist: {HOW_TO_FIX}."
    apt = shutil.which("apt-get", path=env.get("PATH"))
    if apt and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("No Chromium found; installing Debian's chromium package for the browser tests ...", flush=True)
        installed = subprocess.run(f"{apt} update -qq && {apt} install -y -qq chromium", shell=True,  # noqa: S602
                                   capture_output=True, text=True, env=env, check=False)
        found = system_chromium(env)
        if installed.returncode == 0 and found:
            return found, None
    found = playwright_chromium(Path(python), env)
    if found:
        return found, None
    print("No system Chromium found; asking Playwright to download one ...", flush=True)
    subprocess.run([str(python), "-m", "playwright", "install", "chromium"], capture_output=True, cwd=root,
                   env=env, check=False, timeout=600)
    found = playwright_chromium(Path(python), env)
    if found:
        return found, None
    return None, ("The browser tests were not run: this machine has no Chromium and none could be installed; "
                  f"{HOW_TO_FIX}.")
