"""Repository-level pytest settings: the harness's Hypothesis profiles, and the suite's own.

The suite runs `suite`: `ci` (derandomized) when `CI` is set, else `dev`, with a quarter of
Hypothesis's default number of examples, so the whole suite stays within its time budget
(issue 28). `pytest --hypothesis-profile=ci` (100 examples) or `=dev` (200) runs more; the
counts tests set themselves scale with the profile (`tests.support.budget.examples`).
"""

import os

from hypothesis import settings

from harness.fuzz import register_profiles

register_profiles()
settings.register_profile(
    "suite",
    settings(settings.get_profile("ci" if os.environ.get("CI") else "dev"), max_examples=25),
)
settings.load_profile("suite")
