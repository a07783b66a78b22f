"""The container installs from ``requirements.lock`` with ``--require-hashes``: every dependency
``pyproject.toml`` names (PostgreSQL's included) must be pinned there, with hashes, or the image
would not build. Regenerate with the command at the top of the lock file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503)."""
    bare = re.split(r"[\s\[<>=!~;]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def test_every_runtime_dependency_is_pinned_with_hashes_in_the_lock() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {
        _name(r) for r in [*project["dependencies"], *project["optional-dependencies"]["postgres"]]
    }
    lock = (ROOT / "requirements.lock").read_text()
    pinned = {
        _name(m.group(1)): m.group(2) for m in re.finditer(r"^([\w.-]+)==(\S+) \\$", lock, re.M)
    }
    assert wanted <= set(pinned), sorted(wanted - set(pinned))
    blocks = re.split(r"\n(?=[\w.-]+==)", lock)
    assert all("--hash=sha256:" in block for block in blocks if "==" in block.split("\n")[0])
    assert "file://" not in lock and "--find-links" not in lock  # nothing of one machine


def test_the_image_installs_the_lock_and_checks_readiness() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "/readyz" in dockerfile and "USER baton" in dockerfile
    for package in ("bot", "adapters", "commands", "storage"):
        assert f"COPY {package} ./{package}" in dockerfile
