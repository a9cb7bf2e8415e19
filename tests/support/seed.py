"""The seed's `display_quiz` tool, read from the scenario's own tool file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DISPLAY_QUIZ_PATH = (
    Path(__file__).resolve().parents[2] / "scenarios" / "tools" / "display_quiz.json"
)


def display_quiz_tool() -> dict[str, Any]:
    """A fresh copy of the function definition (callers may mutate it)."""
    tool: dict[str, Any] = json.loads(DISPLAY_QUIZ_PATH.read_text(encoding="utf-8"))
    return tool
