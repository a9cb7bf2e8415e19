"""Repository-level pytest settings: the harness's Hypothesis profiles."""

import os

from hypothesis import settings

from harness.fuzz import register_profiles

register_profiles()
settings.load_profile("ci" if os.environ.get("CI") else "dev")
