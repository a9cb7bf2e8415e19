"""Run pytest in this process for a fixture wider than one test, as `pytester.runpytest`
does for one test: an interpreter of its own would cost seconds of start-up (openai and the
harness imported again) for nothing the fixture needs."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

# What the outer run's environment must not tell the inner one: that it is an xdist worker or
# what its options are, that it runs in CI (which never records), where the API is.
_NOT_INHERITED = ("PYTEST_", "OPENAI_", "AZURE_OPENAI_", "HARNESS_")


def run_pytest(folder: Path, args: list[str], env: Mapping[str, str]) -> tuple[int, str]:
    """`pytest ARGS` run from `folder` with `env` set: its exit code and its output. The
    modules of `folder` it imported are forgotten afterwards, and the environment, the
    working folder and `sys.path` are as they were."""
    modules, path = set(sys.modules), list(sys.path)
    output = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(_NOT_INHERITED) or name == "CI":
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.chdir(folder)
        try:
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                code = pytest.main(args)
        finally:
            sys.path[:] = path
            for name in set(sys.modules) - modules:
                where = getattr(sys.modules[name], "__file__", None) or ""
                if Path(where).resolve().is_relative_to(folder.resolve()):
                    del sys.modules[name]
    return int(code), output.getvalue()
