"""The shipped API schemas keyed by `METHOD /path`, the way the tests enumerate operations."""

from __future__ import annotations

import functools
from typing import Any

from harness import api
from harness.api.schemas import document


@functools.cache
def spec() -> dict[str, Any]:
    operations = {
        f"{op.method} {op.path}": document()["operations"][op.name] for op in api.operations()
    }
    return {"operations": operations, "components": document()["components"]}
