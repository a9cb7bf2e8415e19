"""Find the function tools a scenario file gives its assistant, for
parametrizing contract tests (the `assistants_tool` fixture)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from harness.scenarios import load_scenario


def scenario_tools(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """`(name, function definition)` for each function tool in one scenario file.

    The scenario loader validates the file and resolves `function: {$ref: ...}`;
    a tool given to the assistant twice (created, then updated) counts once.
    """
    found: dict[str, dict[str, Any]] = {}
    for tool in load_scenario(Path(path)).tools():
        if tool.get("type") == "function" and isinstance(tool.get("function"), dict):
            found.setdefault(str(tool["function"]["name"]), dict(tool["function"]))
    return list(found.items())


def tool_cases(paths: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """`(case id, tool)` over many scenario files; ids read `<file stem>:<tool name>`."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(Path(p) for p in paths):
        cases.extend((f"{path.stem}:{name}", tool) for name, tool in scenario_tools(path))
    return cases
