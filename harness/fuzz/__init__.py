"""Fuzz function tools: JSON Schema -> Hypothesis strategies, tool contracts,
strict-mode lint, drift of recorded calls and argument-mutation replay."""

from __future__ import annotations

from typing import Any

from harness.fuzz._schema import SchemaNotSupported
from harness.fuzz.contract import assert_tool_contract, is_error_output, resolve_call_style
from harness.fuzz.drift import (
    Drift,
    RecordedCall,
    assert_no_drift,
    check_recorded_calls,
    recorded_calls,
)
from harness.fuzz.invalid import UNPARSEABLE, InvalidArguments, invalid_arguments
from harness.fuzz.lint import LintFinding, lint_tool, lint_tools
from harness.fuzz.profiles import register_profiles
from harness.fuzz.scenario_tools import scenario_tools, tool_cases
from harness.fuzz.strategies import compile_schema, valid_arguments

# argument-mutation replay pulls in the cassette player and its HTTP stack: load it on use
_MUTATION = ("assert_dispatch_contract", "mutate_arguments", "pending_calls", "replay")


def __getattr__(name: str) -> Any:
    if name in _MUTATION:
        from harness.fuzz import mutation

        return getattr(mutation, name)
    raise AttributeError(f"module 'harness.fuzz' has no attribute {name!r}")


__all__ = [
    "UNPARSEABLE",
    "Drift",
    "InvalidArguments",
    "LintFinding",
    "RecordedCall",
    "SchemaNotSupported",
    "assert_dispatch_contract",
    "assert_no_drift",
    "assert_tool_contract",
    "check_recorded_calls",
    "compile_schema",
    "invalid_arguments",
    "is_error_output",
    "lint_tool",
    "lint_tools",
    "mutate_arguments",
    "pending_calls",
    "recorded_calls",
    "register_profiles",
    "replay",
    "resolve_call_style",
    "scenario_tools",
    "tool_cases",
    "valid_arguments",
]
