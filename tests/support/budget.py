"""How many Hypothesis examples a test runs: its own count, scaled by the loaded profile.

A test's count is what it wants under Hypothesis's default of 100 examples; the suite's
default profile (`suite`, in the root conftest.py) runs a quarter of that, and
`pytest --hypothesis-profile=ci` the full count. Read at import, after pytest loaded the
profile.
"""

from __future__ import annotations

from hypothesis import settings

DEFAULT = 100
"""Hypothesis's own `max_examples`: the count a test names is relative to it."""


def examples(wanted: int, *, least: int = 10) -> int:
    """`wanted` examples scaled by the loaded profile, and never fewer than `least`."""
    return max(least, wanted * settings.default.max_examples // DEFAULT)
