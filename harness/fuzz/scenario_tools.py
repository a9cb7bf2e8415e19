"""Find the function tools a scenario file gives its assistant, for
parametrizing contract tests (`pytest.mark.parametrize("name, tool", ...)`).

The scenario format belongs to `harness.scenarios`; everything this module
assumes about it sits in `_tool_entries`, so adapting to the final format
means changing that one function.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ScenarioError


def _tool_entries(document: Any) -> Iterator[Any]:
    """The raw entries of `tools` lists: `assistant.tools`, `assistants[].tools`, `tools`."""
    if not isinstance(document, Mapping):
        return
    holders: list[Any] = [document.get("assistant"), document]
    assistants = document.get("assistants")
    if isinstance(assistants, list):
        holders.extend(assistants)
    elif isinstance(assistants, Mapping):
        holders.extend(assistants.values())
    for holder in holders:
        if isinstance(holder, Mapping) and isinstance(holder.get("tools"), list):
            yield from holder["tools"]


def _load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from None


def scenario_tools(path: str | Path) -> list[tuple[str, dict[str, Any]]]:
    """`(name, function definition)` for each function tool in one scenario file.

    A `parameters` of the form `{"$ref": "relative/file.json"}` (JSON or YAML)
    is replaced by that file's content, resolved relative to the scenario.
    """
    path = Path(path)
    found: list[tuple[str, dict[str, Any]]] = []
    for index, entry in enumerate(_tool_entries(_load(path))):
        if not isinstance(entry, Mapping):
            continue
        function = entry.get("function") if entry.get("type", "function") == "function" else None
        if function is None and "name" in entry and "parameters" in entry:
            function = entry
        if not isinstance(function, Mapping):
            continue  # code_interpreter, file_search, ...
        if "name" not in function:
            raise ScenarioError(f"{path}: tool {index + 1} is a function without a name")
        definition = dict(function)
        params = definition.get("parameters")
        if (
            isinstance(params, Mapping)
            and set(params) == {"$ref"}
            and not str(params["$ref"]).startswith("#")
        ):
            target = path.parent / str(params["$ref"])
            if not target.is_file():
                raise ScenarioError(
                    f"{path}: tool {definition['name']!r}: parameters file {target} not found"
                )
            definition["parameters"] = _load(target)
        found.append((str(definition["name"]), definition))
    return found


def tool_cases(paths: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """`(case id, tool)` over many scenario files; ids read `<file stem>:<tool name>`."""
    cases: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(Path(p) for p in paths):
        cases.extend((f"{path.stem}:{name}", tool) for name, tool in scenario_tools(path))
    return cases
