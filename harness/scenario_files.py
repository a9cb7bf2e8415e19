"""Scenario files: what one holds (`Scenario`), reading and validating one against
`harness/schemas/scenario.schema.json` with one-line errors, and which files pytest collects.

The runner that plays a scenario through the SDK is `harness.scenarios`.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from harness import safe_yaml
from harness.errors import ScenarioError

_SCHEMA_PATH = Path(__file__).parent / "schemas" / "scenario.schema.json"
ACTIONS = (
    "upload_file", "create_vector_store", "delete_vector_store", "update_assistant",
    "create_thread", "delete_thread", "retrieve_thread", "message", "run", "wait",
    "cancel", "list_messages", "list_steps",
)  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    data: dict[str, Any]

    @property
    def assistant(self) -> dict[str, Any]:
        return dict(self.data["assistant"])

    @property
    def steps(self) -> list[dict[str, Any]]:
        return list(self.data["steps"])

    @property
    def expect(self) -> dict[str, Any]:
        return dict(self.data.get("expect") or {})

    @property
    def brain(self) -> list[Any] | dict[str, Any] | None:
        """Rules, or a brain document (`{"rules": [...], "model": {...}}`), or None."""
        brain = self.data.get("brain")
        return brain if brain else None

    @property
    def api(self) -> str:
        """`assistants`, `responses` or `both`."""
        return str(self.data.get("api") or "assistants")

    @property
    def accept(self) -> tuple[str, ...]:
        """Differences between the two APIs' conversations that `api: both` accepts."""
        return tuple(self.data.get("accept") or ())

    def tools(self) -> list[dict[str, Any]]:
        """Every tool the scenario gives its assistant, `$ref`s resolved."""
        found = list(self.data["assistant"].get("tools") or [])
        for step in self.data["steps"]:
            found += (step.get("update_assistant") or {}).get("tools") or []
        return found


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(_SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator(schema)


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario; every error is one line naming the file."""
    try:
        data = safe_yaml.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not valid YAML (byte {exc.start} is not UTF-8)") from None
    except safe_yaml.YAMLError as exc:
        where = f" line {exc.line}:" if exc.line is not None else ""
        raise ScenarioError(f"{path}:{where} {exc}") from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        pointer = "/" + "/".join(str(p) for p in error.absolute_path)
        raise ScenarioError(f"{path}: {pointer}: {error.message}")
    for number, step in enumerate(data["steps"]):
        actions = [key for key in step if key in ACTIONS]
        if len(actions) != 1:
            raise ScenarioError(f"{path}: /steps/{number}: needs exactly one action, got {actions}")
    scenario_api = data.get("api") or "assistants"
    if scenario_api != "assistants" and "not_in_responses" in data:
        raise ScenarioError(
            f"{path}: /api: {scenario_api}, but not_in_responses says the Responses API cannot "
            "express it"
        )
    why = obstacle(data["steps"]) if scenario_api != "assistants" else None
    if why is not None:
        raise ScenarioError(
            f"{path}: /api: {scenario_api}: the Responses API cannot express {why} "
            "(keep api: assistants and say why in not_in_responses)"
        )
    data["assistant"]["tools"] = _resolve_tools(
        data["assistant"].get("tools") or [], path, "/assistant/tools"
    )
    for number, step in enumerate(data["steps"]):
        update = step.get("update_assistant")
        if update and "tools" in update:
            update["tools"] = _resolve_tools(
                update["tools"], path, f"/steps/{number}/update_assistant/tools"
            )
    return Scenario(name=data["name"], path=path, data=data)


# Steps and what keeps the Responses API from expressing them.
_OBSTACLES = {
    "cancel": "a run cancelled while it works: a response the app waits on cannot be cancelled",
    "delete_thread": "a deleted thread: a chain of responses has no thread to delete",
    "retrieve_thread": "a retrieved thread: a chain of responses has no thread to retrieve",
}


def obstacle(steps: list[dict[str, Any]]) -> str | None:
    """Why the Responses API cannot express these steps (None: it can)."""
    for number, step in enumerate(steps):
        for action, why in _OBSTACLES.items():
            if action in step:
                return f"/steps/{number}: {why}"
        until = (step.get("wait") or {}).get("until")
        if until is not None:
            return (
                f"/steps/{number}: a run waited on until {until}: a response does not wait "
                "for function outputs, nor expire"
            )
    return None


def _resolve_tools(tools: list[dict[str, Any]], path: Path, where: str) -> list[dict[str, Any]]:
    resolved = []
    for number, tool in enumerate(tools):
        function = tool.get("function")
        if isinstance(function, dict) and set(function) == {"$ref"}:
            ref = f"{path}: {where}/{number}/function/$ref"
            if not isinstance(function["$ref"], str):
                raise ScenarioError(f"{ref}: must be a file name relative to the scenario")
            target = path.parent / function["$ref"]
            try:
                function = json.loads(target.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ScenarioError(f"{ref}: cannot load {target} ({exc})") from None
            if not isinstance(function, dict) or not isinstance(function.get("name"), str):
                raise ScenarioError(
                    f"{ref}: {target} must hold a function definition "
                    f"(a JSON object with a name, a description and parameters)"
                )
            tool = {**tool, "function": function}
        resolved.append(tool)
    return resolved


def load_handler(spec: str, source: Path) -> Callable[..., Any]:
    module_name, _, attribute = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise ScenarioError(f"{source}: /tool_handlers: cannot import {spec} ({exc})") from None


def is_scenario_file(path: Path, scenario_dirs: Iterable[Path], cassette_dir: Path) -> bool:
    """Whether pytest collects `path` as a scenario: a YAML file directly in one of the
    configured scenario folders, and never one in the cassette folder."""
    if path.suffix not in (".yaml", ".yml"):
        return False
    folder = path.parent.resolve()
    if folder == cassette_dir.resolve() or cassette_dir.resolve() in folder.parents:
        return False
    return any(folder == d.resolve() for d in scenario_dirs)
