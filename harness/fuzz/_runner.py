"""Run a check under Hypothesis and turn the shrunk failure into one clean AssertionError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st

MAX_SHOWN = 10_000
"""Arguments text longer than this is cut in failure messages."""


class Violation(AssertionError):
    """Raised inside the Hypothesis test so it shrinks; replaced by a clean AssertionError."""


def shown(text: str) -> str:
    if len(text) <= MAX_SHOWN:
        return text
    return f"{text[:MAX_SHOWN]}... ({len(text)} characters in all, cut here)"


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
    @config
    @given(strategy)
    def contract(example: Any) -> None:
        check(example)

    try:
        contract()
    except Violation as violation:
        clean = AssertionError(str(violation))
        raise clean from violation.__cause__
