"""Run a check under Hypothesis and turn the shrunk failure into one clean AssertionError."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

MAX_SHOWN = 10_000
"""Arguments text longer than this is cut in failure messages."""


class Violation(AssertionError):
    """Raised inside the Hypothesis test so it shrinks; replaced by a clean AssertionError."""


# Control, format (zero-width, bidi), private-use, unassigned and separator characters: a
# terminal shows them as nothing, or as something else.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def shown(text: str) -> str:
    """`text` for a failure message: invisible characters escaped (`\\u0080`), cut if huge."""
    if len(text) > MAX_SHOWN:
        text = f"{text[:MAX_SHOWN]}... ({len(text)} characters in all, cut here)"
    return "".join(_escape(c) for c in text)


def _escape(char: str) -> str:
    if char in "\n\t" or (unicodedata.category(char) not in _INVISIBLE and char != "\u00a0"):
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def settings_for(base: hypothesis.settings | None, max_examples: int | None) -> hypothesis.settings:
    # the explain phase only adds notes to an exception we replace: skip its extra runs
    phases = tuple(p for p in (base or hypothesis.settings()).phases if p is not Phase.explain)
    changes: dict[str, Any] = {"report_multiple_bugs": False, "phases": phases}
    if base is None:
        # the current profile, minus what hurts here: one database key would be shared
        # by every tool, and huge strings or slow handlers trip deadline and health checks
        base = hypothesis.settings(
            database=None,
            deadline=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.filter_too_much,
            ],
        )
    if max_examples is not None:
        changes["max_examples"] = max_examples
    return hypothesis.settings(base, **changes)


def run_shrinking(
    strategy: st.SearchStrategy[Any], check: Callable[[Any], None], config: hypothesis.settings
) -> None:
    __tracebackhide__ = True

    @config
    @given(strategy)
    def contract(example: Any) -> None:
        __tracebackhide__ = True
        check(example)

    try:
        contract()
    except Violation as violation:
        # The shrunk example's message, chained to what the app raised (if anything); the
        # harness's and Hypothesis's own frames are hidden.
        raise AssertionError(str(violation)) from violation.__cause__
