"""Repository-level pytest settings: the harness's Hypothesis profiles, and the suite's own.

The suite runs `suite`: `ci` (derandomized, so a smaller budget never makes a test flaky)
with a quarter of Hypothesis's default number of examples, so the whole suite stays within its
time budget (issue 28). `pytest --hypothesis-profile=ci` (100 examples) or `=dev` (200,
randomized, with the example database) runs more; the counts tests set themselves scale with
the profile (`tests.support.budget.examples`).

Every `openai.OpenAI()` a test builds loads the CA bundle into a new TLS context (25-40 ms,
more than a replayed test costs) although the suite only speaks plain HTTP to loopback; the
SDK's HTTP client reads `SSL_CERT_DIR` instead when `SSL_CERT_FILE` is unset, so both point
at an empty folder (set here, before any test runs, for this process and its children).
"""

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from harness.fuzz import register_profiles

register_profiles()
settings.register_profile(
    "suite",
    settings(settings.get_profile("ci"), max_examples=25),
)
settings.load_profile("suite")

_NO_CERTIFICATES = Path(tempfile.gettempdir()) / "pytest-assistants-harness-no-certificates"
_NO_CERTIFICATES.mkdir(exist_ok=True)
os.environ.pop("SSL_CERT_FILE", None)
os.environ["SSL_CERT_DIR"] = str(_NO_CERTIFICATES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the `slow` tests first: under `pytest -n 2` the last tests a worker takes set when
    the run ends, and a long one among them leaves the other worker idle meanwhile."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
