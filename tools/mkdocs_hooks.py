"""mkdocs hooks: the build fails when docs/reference.md no longer matches the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

SCRIPT = Path(__file__).resolve().parent / "reference.py"


def on_pre_build(config: Any) -> None:
    # A separate process: the generator runs pytest, which must not share mkdocs' modules.
    checked = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise PluginError((checked.stderr or checked.stdout).strip())
