"""A recording several tests of a module replay, made once: by the first test that needs it.

The app records the same bytes every time (ids and times are seeded by the test's id), so
the first test records it into its own project and keeps a copy in the module's `recording`
folder (the fixture in tests/conftest.py); every later test gets a copy of that.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def cassettes_recorded_once(
    pytester: pytest.Pytester, recording: Path, record: Callable[[], object]
) -> None:
    """Give `pytester`'s project the module's recorded cassettes: those kept in `recording`,
    or, for the first test, what `record()` records into the project (then kept)."""
    if recording.is_dir():
        shutil.copytree(recording, pytester.path / "cassettes")
    else:
        record()
        shutil.copytree(pytester.path / "cassettes", recording)
