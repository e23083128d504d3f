"""axe-core, the accessibility checker, for the browser tests: the npm package at a pinned
version, installed once into a cache directory (npm's own cache makes it work offline after the
first time), and read from there to be injected into each page."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

AXE_VERSION = "4.10.2"
CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "pepptalk-tests"
    / f"axe-core-{AXE_VERSION}"
)
SCRIPT = CACHE / "node_modules" / "axe-core" / "axe.min.js"


def axe_script() -> tuple[str | None, str]:
    """axe-core's script, installing it when missing; or None and why: only when there is no
    npm to install it with (a failed install is an error, not a reason to skip)."""
    if not SCRIPT.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None, "npm is not installed, so axe-core cannot be fetched"
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(  # noqa: S603 - a fixed command with a pinned package
            [
                npm,
                "install",
                "--prefix",
                str(CACHE),
                "--prefer-offline",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--loglevel=error",
                f"axe-core@{AXE_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not SCRIPT.exists():
            raise RuntimeError(
                f"npm could not install axe-core {AXE_VERSION}: {done.stderr[-300:]}"
            )
    return SCRIPT.read_text("utf-8"), ""
