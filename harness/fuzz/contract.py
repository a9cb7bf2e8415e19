"""Tool contracts: a handler survives every argument object its schema admits
and rejects the rest cleanly, checked with Hypothesis and reported with the
shrunk arguments."""

from __future__ import annotations

import contextlib
import inspect
import json
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import hypothesis
import hypothesis.errors

from harness.fuzz._runner import Violation, run_shrinking, settings_for, shown
from harness.fuzz._schema import tool_name, tool_parameters, validator_for
from harness.fuzz.invalid import (
    InvalidArguments,
    dumps,
    invalid_arguments,
    near_misses,
    rejection,
)
from harness.fuzz.shrink import shrink
from harness.fuzz.strategies import valid_arguments

CallStyle = Literal["auto", "dict", "kwargs"]
Handler = Callable[..., Any]


def is_error_output(output: Any) -> bool:
    """Whether a handler's output reports an error (the "error string" of a contract).

    It does when it is a string that starts with `error` in any case after
    leading whitespace (`"Error: title is required"`), a string holding a JSON
    object with an `"error"` key (`'{"error": "..."}'`), or such an object
    itself (a dict with an `"error"` key, which the app serialises).
    """
    if isinstance(output, Mapping):
        return "error" in output
    if not isinstance(output, str):
        return False
    text = output.strip()
    if text[:5].lower() == "error":
        return True
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return False
        return isinstance(parsed, dict) and "error" in parsed
    return False


def resolve_call_style(handler: Handler, tool: Mapping[str, Any]) -> Literal["dict", "kwargs"]:
    """How `call_style="auto"` calls `handler`.

    `kwargs` (`handler(**arguments)`) when one of its parameters is named
    after a property of the tool's schema, or when it takes only `**kwargs` or
    nothing at all; otherwise `dict` (`handler(arguments)`). So `display_quiz(title, questions)`
    gets keywords and `dispatch(args)` gets the dict.
    """
    try:
        parameters = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return "dict"
    schema = tool_parameters(tool)
    names = set(schema.get("properties", {})) if isinstance(schema, Mapping) else set()
    named = [p for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if any(p.name in names for p in named):
        return "kwargs"
    if all(p.kind == p.VAR_KEYWORD for p in parameters):  # also a handler of no parameters
        return "kwargs"
    return "dict"


@dataclass(frozen=True)
class Outcome:
    """What one call of the handler did."""

    returned: Any = None
    raised: Exception | None = None

    def describe(self) -> str:
        if self.raised is not None:
            return f"raised {type(self.raised).__name__}: {self.raised}{_where(self.raised)}"
        shown = repr(self.returned)
        return f"returned {shown[:300]}{'...' if len(shown) > 300 else ''}"


def _where(error: BaseException) -> str:
    """Where the handler raised: its innermost frame outside the harness."""
    frames = [
        f for f in traceback.extract_tb(error.__traceback__) if "/harness/fuzz/" not in f.filename
    ]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (at {frame.filename}:{frame.lineno}, in {frame.name})"


def _serializable(value: Any) -> bool:
    if isinstance(value, str):
        return True
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class _Contract:
    handler: Handler
    tool: Mapping[str, Any]
    name: str
    raw: bool
    style: Literal["dict", "kwargs"]
    invalid_raises: tuple[type[BaseException], ...] | None
    invalid_returns_error: bool
    invalid_may_succeed: bool

    @property
    def call_shape(self) -> str:
        if self.raw:
            return "handler(arguments_text)"
        return "handler(**arguments)" if self.style == "kwargs" else "handler(arguments)"

    def call(self, text: str) -> Outcome:
        __tracebackhide__ = True
        try:
            if self.raw:
                return Outcome(returned=self.handler(text))
            # a fresh parse per call, exactly as the app's dispatch loop gets it
            arguments = json.loads(text)
            if self.style == "kwargs":
                return Outcome(returned=self.handler(**arguments))
            return Outcome(returned=self.handler(arguments))
        except Exception as exc:
            return Outcome(raised=exc)

    def fail(
        self,
        kind: str,
        text: str,
        outcome: Outcome,
        expected: str,
        reason: str = "",
        rejected: str = "",
        how: str = "shrunk by Hypothesis",
    ) -> None:
        lines = [
            f"{self.name}: tool contract broken on {kind} arguments ({how})",
        ]
        if "\n" in text or reason.startswith("malformed"):
            quoted = shown(json.dumps(text, ensure_ascii=False))
            lines.append(f"  arguments text (as a JSON string): {quoted}")
        else:
            lines.append(f"  arguments: {shown(text)}")
        if reason:
            lines.append(f"  invalid because: {reason}")
        if rejected:
            lines.append(f"  rejected by: {shown(rejected)}")
        lines += [
            f"  called:    {self.call_shape}",
            f"  outcome:   {outcome.describe()}",
            f"  expected:  {expected}",
        ]
        raise Violation("\n".join(lines)) from outcome.raised

    def check_valid(self, arguments: Any) -> None:
        text = dumps(arguments)
        outcome = self.call(text)
        expected = "a string or a JSON-serializable value, without raising"
        if outcome.raised is not None or not _serializable(outcome.returned):
            self.fail("valid", text, outcome, expected)

    def expected_for_invalid(self) -> str:
        options = []
        if self.invalid_raises is not None:
            options.append("raise " + " or ".join(t.__name__ for t in self.invalid_raises))
        elif not self.invalid_returns_error:
            options.append("raise an Exception")
        if self.invalid_returns_error or self.invalid_raises is None:
            options.append("return an error output (see is_error_output)")
        if self.invalid_may_succeed:
            options.append("return any string or JSON-serializable value")
        return " or ".join(options)

    def accepts_invalid(self, outcome: Outcome) -> bool:
        if outcome.raised is not None:
            if self.invalid_raises is not None:
                return isinstance(outcome.raised, self.invalid_raises)
            return not self.invalid_returns_error
        if not _serializable(outcome.returned):
            return False
        if self.invalid_may_succeed:
            return True
        return (self.invalid_returns_error or self.invalid_raises is None) and is_error_output(
            outcome.returned
        )

    def check_invalid(self, example: InvalidArguments, how: str = "shrunk by Hypothesis") -> None:
        outcome = self.call(example.text)
        if not self.accepts_invalid(outcome):
            rejected = "" if example.malformed else rejection(self.tool, example.parsed)
            expected = self.expected_for_invalid()
            self.fail("invalid", example.text, outcome, expected, example.reason, rejected, how)


def assert_tool_contract(
    handler: Handler,
    tool: Mapping[str, Any],
    *,
    raw: bool = False,
    call_style: CallStyle = "auto",
    invalid_raises: tuple[type[BaseException], ...] | type[BaseException] | None = None,
    invalid_returns_error: bool = False,
    invalid_may_succeed: bool = False,
    check_invalid: bool = True,
    max_examples: int | None = None,
    settings: hypothesis.settings | None = None,
) -> None:
    """Check `handler` against the contract of `tool`; raise AssertionError if broken.

    The handler gets the arguments as the app's dispatch loop would: the
    parsed object (`json.loads` of the call's `arguments`) as `handler(args)`
    or `handler(**args)` (see `resolve_call_style`), or with `raw=True` the
    JSON text itself, which is how malformed JSON reaches it.

    Valid arguments: it must return a string or a JSON-serializable value
    without raising. Invalid arguments: by default it may raise any
    Exception or return an error output (`is_error_output`);
    `invalid_raises=(MyError,)` accepts only those exceptions,
    `invalid_returns_error=True` only an error output (both: either);
    `invalid_may_succeed=True` also accepts ordinary outputs (a handler that
    tolerates bad input). With `call_style` "kwargs", invalid arguments that
    are not a JSON object are skipped: keywords cannot carry them, so the
    dispatch loop, not the handler, must reject them.

    Invalid arguments come in two rounds: first every near-miss of one rich
    valid example (`harness.fuzz.invalid.near_misses`: each JSON Schema keyword
    missed by one edit, tried once each, so no planted bug is left to chance),
    a failing one shrunk to what matters; then, after the valid arguments,
    near-misses at random places of random valid arguments, shrunk by Hypothesis.

    The AssertionError names the shrunk arguments as JSON text, the keyword and
    JSON path that reject them, and what the handler did. `settings` defaults
    to the loaded Hypothesis profile without a database and deadline;
    `max_examples` overrides either.
    """
    __tracebackhide__ = True
    style = (
        "dict"
        if raw
        else (resolve_call_style(handler, tool) if call_style == "auto" else call_style)
    )
    if isinstance(invalid_raises, type):
        invalid_raises = (invalid_raises,)
    contract = _Contract(
        handler=handler,
        tool=tool,
        name=tool_name(tool),
        raw=raw,
        style=style,
        invalid_raises=invalid_raises,
        invalid_returns_error=invalid_returns_error,
        invalid_may_succeed=invalid_may_succeed,
    )
    config = settings_for(settings, max_examples)
    if not check_invalid:
        run_shrinking(valid_arguments(tool), contract.check_valid, config)
        return
    # keywords cannot carry a non-object: the dispatch loop, not the handler, rejects those
    callable_with: Callable[[InvalidArguments], bool] = (
        (lambda example: isinstance(example.parsed, dict))
        if style == "kwargs" and not raw
        else (lambda example: True)
    )
    # every near-miss of one rich example first, each keyword's once: nothing left to chance
    for example in near_misses(tool):
        if callable_with(example) and not contract.accepts_invalid(contract.call(example.text)):
            smallest = _smallest_like(contract, tool, example)
            try:
                contract.check_invalid(smallest, "a near-miss, shrunk")
            except Violation as violation:
                raise AssertionError(str(violation)) from violation.__cause__
    run_shrinking(valid_arguments(tool), contract.check_valid, config)
    # then near-misses at random places of random valid arguments (and malformed text)
    invalid = invalid_arguments(tool, malformed=raw).filter(callable_with)
    # when the schema constrains nothing inside the object, only non-objects break it
    with contextlib.suppress(hypothesis.errors.Unsatisfiable):
        run_shrinking(invalid, contract.check_invalid, config)


def _smallest_like(
    contract: _Contract, tool: Mapping[str, Any], example: InvalidArguments
) -> InvalidArguments:
    """`example` without what does not matter: the handler still mishandles it and the
    schema still rejects it for the same reasons (see `harness.fuzz.shrink`)."""

    def keeps_failing(value: Any) -> bool:
        return not contract.accepts_invalid(contract.call(dumps(value)))

    check = validator_for(tool_parameters(tool), formats=True)

    def errors(value: Any) -> tuple[tuple[str, str], ...]:
        # counted, not a set: two keys missing at one place is not the one near-miss
        return tuple(sorted((str(e.validator), e.json_path) for e in check.iter_errors(value)))

    value = shrink(example.parsed, keeps_failing, errors)
    return InvalidArguments(dumps(value), value, example.reason, example.kind, example.shape)
