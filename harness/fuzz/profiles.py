"""Hypothesis profiles for tool fuzzing: `ci` (derandomized, stable) and `dev`.

Registered by `register_profiles()`, never on import, so loading the plugin
does not change a project's Hypothesis settings. Load one with
`hypothesis.settings.load_profile("ci")`, or pass
`hypothesis.settings.get_profile("ci")` as `settings=` to a contract.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis.errors import InvalidArgument

CI = "ci"
DEV = "dev"

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


def register_profiles(*, overwrite: bool = False) -> None:
    """Register `ci` and `dev`.

    Hypothesis itself ships a `ci` profile (loaded when it detects CI); ours
    builds on whatever `ci` is registered, adding what stable fuzzing needs:
    derandomized, no database, no deadline, `print_blob`, no health checks
    for huge strings and filtered schemas. A project's own `dev` is kept
    unless `overwrite`.
    """
    parent = _registered(CI) if not overwrite else None
    quiet = sorted(
        {*_QUIET, *(parent.suppress_health_check if parent else ())}, key=lambda h: h.value
    )
    settings.register_profile(
        CI,
        settings(
            parent,
            derandomize=True,
            database=None,
            deadline=None,
            print_blob=True,
            suppress_health_check=quiet,
        ),
    )
    if overwrite or _registered(DEV) is None:
        # more examples and the example database, so a failure replays first next time
        settings.register_profile(
            DEV, settings(max_examples=200, deadline=None, suppress_health_check=_QUIET)
        )


def _registered(name: str) -> settings | None:
    try:
        return settings.get_profile(name)
    except InvalidArgument:
        return None
