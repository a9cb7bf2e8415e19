"""Unmodified third-party Responses clients, each as a test app (`<name>_app.py`) the plugin
tests copy into a pytester folder as `test_app.py`, beside `weather.py`.

Which clients run where: `.ci/run` installs the `clients` extra under both SDK majors and the
`clients-openai2` extra (LlamaIndex too) under openai 2.x. A client missing where CI installs it
fails under `CI` rather than skipping; one that cannot install beside this SDK major is skipped
naming the conflict.
"""

from __future__ import annotations

import importlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

HERE = Path(__file__).parent
SDK_MAJOR = int(openai.__version__.split(".")[0])
IN_CI = bool(os.environ.get("CI"))  # read at import: the suite's autouse fixture unsets it


@dataclass(frozen=True)
class Client:
    name: str
    module: str
    """What the app imports first (imported here once, so in-process runs reuse it)."""
    symbol: str
    """The module's name the app uses: an old release without it counts as missing."""
    package: str
    conflict: dict[int, str]
    """SDK major -> why the package cannot be installed beside it."""

    def load(self) -> None:
        """Import the client, or skip (fail under CI where CI installs it) saying why not."""
        try:
            if hasattr(importlib.import_module(self.module), self.symbol):
                return
        except ImportError:
            pass
        if SDK_MAJOR in self.conflict:
            pytest.skip(f"{self.package}: {self.conflict[SDK_MAJOR]} (openai {openai.__version__})")
        extra = "clients" if not self.conflict else "clients-openai2"
        reason = f"{self.package} with {self.symbol} is not installed (pip install -e '.[{extra}]')"
        if IN_CI:
            pytest.fail(f"{reason}; CI must run it: see .ci/run", pytrace=False)
        pytest.skip(reason)

    def copy_to(self, folder: Path) -> None:
        """The app as `test_app.py` and its `weather.py` in `folder`."""
        shutil.copy(HERE / f"{self.name}_app.py", folder / "test_app.py")
        shutil.copy(HERE / "weather.py", folder / "weather.py")


CLIENTS = [
    Client("agents", "agents", "Runner", "openai-agents", {}),
    Client(
        "pydantic_ai",
        "pydantic_ai.models.openai",
        "OpenAIResponsesModel",
        "pydantic-ai-slim[openai]",
        {},
    ),
    Client("langchain", "langchain_openai", "ChatOpenAI", "langchain-openai", {}),
    Client(
        "llamaindex",
        "llama_index.llms.openai",
        "OpenAIResponses",
        "llama-index-llms-openai",
        {3: "every release with OpenAIResponses requires openai<3"},
    ),
]
