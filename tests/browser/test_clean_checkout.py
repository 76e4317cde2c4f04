"""A clean clone stays clean: Reflex rewrites `reflex.lock/` (package.json, bun.lock) on every
start when the screens need a package the committed lock does not have (a controlled input
brings react-debounce-input, for one). After `loyalty up` has built and started the screens,
the lock is exactly as committed."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def test_starting_the_screens_leaves_reflex_lock_as_committed(running: Stack) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to compare the lock with")
    changed = subprocess.run(["git", "status", "--porcelain", "--", "reflex.lock", "rxconfig.py", "assets"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert changed == "", f"starting the screens changed committed files:\n{changed}"
