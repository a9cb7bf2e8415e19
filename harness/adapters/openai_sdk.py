"""The openai SDK: the waits of its poll helpers and of its retries, which replay skips.

Both SDK majors (2.x on httpx, 3.x on httpx2) sleep through these private
methods; patching them is what lets replay never sleep. `sdk_sleep` is the
same wait for code that polls by hand (the scenario runner).
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator
from typing import Any
from unittest import mock

DEPRECATIONS = (r"The Assistants API is deprecated", r"deprecated\Z")
"""What the SDK's deprecation warnings of the Assistants API say (regular expressions)."""


@contextlib.contextmanager
def quiet_deprecations() -> Iterator[None]:
    """Hide the SDK's Assistants deprecation warnings (harness-driven apps: mutation replay)."""
    with warnings.catch_warnings():
        for message in DEPRECATIONS:
            warnings.filterwarnings("ignore", message=message, category=DeprecationWarning)
        yield


# (module, class, method) of every private SDK hook used here.
HOOKS = (
    ("openai._resource", "SyncAPIResource", "_sleep"),
    ("openai._resource", "AsyncAPIResource", "_sleep"),
    ("openai._base_client", "SyncAPIClient", "_sleep_for_retry"),
    ("openai._base_client", "AsyncAPIClient", "_sleep_for_retry"),
)


def missing_hooks() -> list[str]:
    """The SDK methods this adapter needs that the installed openai lacks."""
    missing = []
    for module_name, class_name, method in HOOKS:
        try:
            owner = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            missing.append(f"{module_name}.{class_name}")
            continue
        if not callable(getattr(owner, method, None)):
            missing.append(f"{module_name}.{class_name}.{method}")
    return missing


@contextlib.contextmanager
def no_waits() -> Iterator[None]:
    """The SDK's poll-helper and retry waits return at once (those that exist)."""
    with contextlib.ExitStack() as stack:
        for module_name, class_name, method in HOOKS:
            try:
                owner = getattr(importlib.import_module(module_name), class_name)
            except (ImportError, AttributeError):
                continue
            if hasattr(owner, method):
                instant = _async_instant if class_name.startswith("Async") else _instant
                stack.enter_context(mock.patch.object(owner, method, instant))
        yield


def sdk_sleep(resource: Any, seconds: float) -> None:
    """Wait as the SDK's poll helpers wait (skipped wherever they are skipped)."""
    resource._sleep(seconds)


def _instant(*args: Any, **kwargs: Any) -> None:
    return None


async def _async_instant(*args: Any, **kwargs: Any) -> None:
    return None
