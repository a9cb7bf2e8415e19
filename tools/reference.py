"""Generate docs/reference.md from the code: the plugin's options, ini keys, markers and
fixtures as pytest registers them, and the `harness` command's argparse parser.

    python tools/reference.py          # rewrite docs/reference.md
    python tools/reference.py --check  # exit 1 (naming the command to run) if it is stale
    python tools/reference.py --names  # the public names the docs must mention

It loads the installed plugin in an empty pytest run (pytest-recording blocked, so the
harness registers `--record-mode` itself), so run it with the project's virtualenv. It reads
two pytest internals (the ini table and the fixture manager); `_Collector` is their one home.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"
GROUP = "assistants"
PREFIX = "assistants_"


@dataclass
class Option:
    names: list[str]
    help: str
    choices: list[str] | None
    default: Any


@dataclass
class Surface:
    """Everything a user of the plugin and the command can name."""

    options: list[Option] = field(default_factory=list)
    ini: list[tuple[str, str, str, Any]] = field(default_factory=list)  # name, help, type, default
    markers: list[tuple[str, str]] = field(default_factory=list)  # signature, help
    fixtures: list[tuple[str, str]] = field(default_factory=list)  # name, docstring
    commands: list[tuple[str, str, argparse.ArgumentParser]] = field(default_factory=list)

    def names(self) -> list[str]:
        """The public names the docs must mention: options, ini keys, markers, fixtures,
        commands and their flags."""
        found = [name for option in self.options for name in option.names]
        found += [name for name, *_ in self.ini]
        found += [signature.split("(")[0] for signature, _ in self.markers]
        found += [name for name, _ in self.fixtures]
        for name, _, parser in self.commands:
            found.append(f"harness {name}")
            found += [
                flag
                for action in parser._actions
                for flag in action.option_strings
                if flag.startswith("--") and flag != "--help"
            ]
        return found


class _Collector:
    """A pytest plugin that keeps what the other plugins registered."""

    def __init__(self) -> None:
        self.parser: pytest.Parser | None = None
        self.surface = Surface()

    def pytest_addoption(self, parser: pytest.Parser) -> None:
        self.parser = parser

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        assert self.parser is not None
        for argument in self.parser.getgroup(GROUP).options:
            attrs = argument.attrs()
            self.surface.options.append(
                Option(
                    names=argument.names(),
                    help=str(attrs.get("help", "")),
                    choices=list(attrs["choices"]) if attrs.get("choices") else None,
                    default=attrs.get("default"),
                )
            )
        inidict: dict[str, tuple[Any, ...]] = self.parser._inidict  # pytest internal
        for name in sorted(inidict):
            if name.startswith(PREFIX):
                help_text, kind, default = inidict[name][:3]
                self.surface.ini.append((name, help_text, kind or "string", default))
        for line in session.config.getini("markers"):
            signature, _, help_text = str(line).partition(": ")
            if signature.startswith(PREFIX):
                self.surface.markers.append((signature, help_text.strip()))
        manager = session._fixturemanager  # pytest internal; getfixturedefs is its public face
        names = {
            name
            for plugin in session.config.pluginmanager.get_plugins()
            if _harness_module(plugin)
            for name in dir(plugin)
            if not name.startswith("_")
        }
        for name in sorted(names):
            for definition in manager.getfixturedefs(name, session) or ():
                if _harness_module(definition.func):
                    self.surface.fixtures.append((name, inspect.getdoc(definition.func) or ""))
                    break
        self.surface.markers.sort()


def _harness_module(thing: object) -> bool:
    module = getattr(thing, "__module__", None) or getattr(thing, "__name__", "")
    if inspect.ismodule(thing):
        module = thing.__name__
    return str(module).split(".")[0] == "harness"


def collect() -> Surface:
    """Load the plugin in an empty pytest run and read what it registered."""
    collector = _Collector()
    with tempfile.TemporaryDirectory() as folder:
        ini = Path(folder) / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = ["-c", str(ini), "--rootdir", folder, "--collect-only", "-q"]
        args += ["-p", "no:recording", "-p", "no:cacheprovider", "-p", "no:xdist", folder]
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            code = pytest.main(args, plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(f"tools/reference.py: pytest failed ({code}):\n{output.getvalue()}")
    from harness.cli import _parser

    parser = _parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                collector.surface.commands.append((name, helps.get(name, ""), sub))
    return collector.surface


# --- rendering ------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`".replace("|", "\\|")


def _default(value: Any) -> str:
    if value in (None, False, [], ""):
        return ""
    if isinstance(value, list):
        return ", ".join(_code(str(item)) for item in value)
    return _code(str(value))


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None:
        return "|".join(str(choice) for choice in action.choices)
    return str(action.dest).upper()


def _usage(name: str, parser: argparse.ArgumentParser) -> str:
    words = [f"harness {name}"]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        metavar = _metavar(action)
        if not action.option_strings:
            words.append(
                {"+": f"{metavar}...", "*": f"[{metavar}...]"}.get(str(action.nargs), metavar)
            )
        elif action.nargs == 0:
            words.append(f"[{action.option_strings[-1]}]")
        else:
            words.append(f"[{action.option_strings[-1]} {metavar}]")
    return " ".join(words)


def _argument_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if action.option_strings:
            shown = ", ".join(action.option_strings)
            if action.nargs != 0:
                shown += " " + _metavar(action)
        else:
            shown = _metavar(action)
        meaning = action.help or ""
        if isinstance(action, argparse._AppendAction) and "repeatable" not in meaning:
            meaning += " (repeatable)"
        rows.append(f"| {_code(shown)} | {_cell(meaning)} | {_default(action.default)} |")
    return rows


def render(surface: Surface) -> str:
    out = [
        "# Reference",
        "",
        "<!-- Generated by tools/reference.py from the code: do not edit by hand. After",
        "     changing an option, ini key, marker, fixture or command, run",
        "     `python tools/reference.py`; the tests fail while this page is stale. -->",
        "",
        "Every command-line option, ini key, marker, fixture and `harness` command, as the code",
        "registers them. The guides explain how they fit together: start with",
        "[getting started](getting-started.md).",
        "",
        "## Command-line options",
        "",
        "| option | meaning | default |",
        "| --- | --- | --- |",
    ]
    for option in surface.options:
        shown = ", ".join(option.names)
        if option.choices:
            shown += "=" + "|".join(option.choices)
        out.append(f"| {_code(shown)} | {_cell(option.help)} | {_default(option.default)} |")
    out += [
        "",
        "`--record-mode` is shared with pytest-recording when it is installed (its `rewrite`",
        "means `all`); `--snapshot-update` is syrupy's.",
        "",
        "## ini keys",
        "",
        "In `[tool.pytest.ini_options]` of `pyproject.toml` (or `pytest.ini`, `tox.ini`,",
        "`setup.cfg`).",
        "",
        "| key | type | meaning | default |",
        "| --- | --- | --- | --- |",
    ]
    for name, help_text, kind, default in surface.ini:
        out.append(f"| {_code(name)} | {kind} | {_cell(help_text)} | {_default(default)} |")
    out += ["", "## Markers", ""]
    for signature, help_text in surface.markers:
        name = signature.split("(")[0]
        out += [f"### `{name}`", "", f"`@pytest.mark.{signature}`", "", _sentence(help_text), ""]
    out += ["## Fixtures", ""]
    for name, doc in surface.fixtures:
        out += [f"### `{name}`", "", doc or "(no description)", ""]
    out += [
        "## The `harness` command",
        "",
        "Exit status 2 and one line on stderr for an error the harness reports on purpose.",
        "",
    ]
    for name, help_text, parser in surface.commands:
        out += [f"### `harness {name}`", "", _sentence(help_text) + ".", ""]
        out += ["```text", _usage(name, parser), "```", ""]
        rows = _argument_rows(parser)
        if rows:
            out += ["| argument | meaning | default |", "| --- | --- | --- |", *rows, ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tools/reference.py", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--check",
        nargs="?",
        const=REFERENCE,
        type=Path,
        metavar="PAGE",
        help="exit 1 if PAGE (default docs/reference.md) differs from what would be generated",
    )
    parser.add_argument("--names", action="store_true", help="print the public names, one a line")
    args = parser.parse_args(argv)
    os.environ.pop("PYTEST_ADDOPTS", None)
    surface = collect()
    if args.names:
        print("\n".join(surface.names()))
        return 0
    text = render(surface)
    if args.check is not None:
        if not args.check.exists() or args.check.read_text() != text:
            print(
                f"{args.check} is stale: run `python tools/reference.py` and commit it",
                file=sys.stderr,
            )
            return 1
        return 0
    REFERENCE.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
