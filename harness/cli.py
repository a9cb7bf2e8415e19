"""The `harness` command: inspect, transcript, show, diff, parity, verify, scrub, conformance,
emulator.

Each subcommand is a thin shell over a library function; errors the harness
raises on purpose print as one line and exit 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from typing import Any

from harness import escape
from harness.api.constants import OPENAI_BASE_URL
from harness.errors import ConfigError, HarnessError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness", description="Record, replay and check Assistants API conversations."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="print a cassette as a readable conversation")
    inspect.add_argument("cassette", help="the cassette file")
    inspect.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="colour the output (auto: on a terminal)",
    )

    transcript = commands.add_parser("transcript", help="print a cassette's transcript as JSON")
    transcript.add_argument("cassette", help="the cassette file")

    show = commands.add_parser(
        "show",
        help="write a self-contained HTML trace page per cassette (a folder: an index of them)",
    )
    show.add_argument("cassettes", nargs="+", metavar="CASSETTE")
    show.add_argument(
        "-o",
        "--output",
        metavar="FILE.html",
        help="the page to write (several cassettes: the index; default: CASSETTE.html here, "
        "or harness-show.html)",
    )

    diff = commands.add_parser(
        "diff",
        help="compare two cassettes (or folders of them) as conversations; exit 1 if they differ",
    )
    diff.add_argument(
        "paths", nargs="*", metavar="OLD NEW", help="two cassettes or two folders (with --git: one)"
    )
    diff.add_argument("--format", choices=["text", "markdown", "json", "html"], default="text")
    diff.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of printing it"
    )
    diff.add_argument(
        "--git",
        metavar="REV",
        help="compare the working tree's cassettes at PATH (default: cassettes) with REV's",
    )

    parity = commands.add_parser(
        "parity",
        help="compare an Assistants app's recordings with its Responses port's as conversations;"
        " exit 1 if they differ",
    )
    parity.add_argument("old", metavar="OLD", help="a cassette or a folder of them")
    parity.add_argument("new", metavar="NEW", help="a cassette or a folder (paired by test name)")
    parity.add_argument("--format", choices=["text", "markdown", "json", "html"], default="text")
    parity.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE instead of printing it"
    )
    parity.add_argument(
        "--accept",
        action="append",
        default=[],
        choices=["wording", "call_order"],
        help="a difference to accept (repeatable): the assistant's wording, tool-call order"
        " within a turn",
    )

    for name, text in (
        ("verify", "report secrets redaction would remove (exit 0 clean, 1 found, 2 error)"),
        ("scrub", "remove what verify reports, in place (atomically, keeping the mode)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("cassettes", nargs="+", help="cassette files or folders of them")
        sub.add_argument("--pattern", action="append", default=[], help="extra regular expression")

    conformance = commands.add_parser(
        "conformance",
        help="how the server a cassette was recorded from deviated from the API "
        "(exit 0 none, 1 deviations, 2 error)",
    )
    conformance.add_argument("cassettes", nargs="+", help="cassettes or folders of them")

    emulator = commands.add_parser("emulator", help="serve the Assistants API emulator")
    emulator.add_argument("--port", type=int, default=8000, help="the port to listen on")
    emulator.add_argument(
        "--host",
        default="127.0.0.1",
        help="the address to bind (beyond loopback: read the security notes first)",
    )
    emulator.add_argument(
        "--brain", help="brain file (JSON or YAML): rules, and optionally a model"
    )
    emulator.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests whose Host is NAME (repeatable; loopback always works)",
    )
    emulator.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let browser pages of ORIGIN (e.g. http://localhost:3000) call the API "
        "(repeatable; by default no page of another origin may, loopback ones included)",
    )
    emulator.add_argument(
        "--sandbox",
        choices=["auto", "namespaces", "process"],
        default="auto",
        help="how code_interpreter code is isolated: auto (default: user namespaces, refused "
        "where unavailable), namespaces, or process (opts in to a best-effort guard)",
    )
    model = emulator.add_argument_group(
        "model brain", "a Chat Completions model decides the runs no rule matches"
    )
    model.add_argument("--model", metavar="NAME", help="the model to ask, e.g. gpt-4o-mini")
    model.add_argument(
        "--model-base-url", metavar="URL", help=f"its API base, e.g. {OPENAI_BASE_URL}"
    )
    model.add_argument(
        "--model-key-env", metavar="VAR", help="the environment variable holding its key"
    )
    model.add_argument("--model-temperature", type=float, metavar="T", help="e.g. 0")
    model.add_argument("--model-seed", type=int, metavar="N", help="sent as `seed`")
    model.add_argument(
        "--model-timeout", type=float, metavar="SECONDS", help="for one answer (default 60)"
    )
    emulator.add_argument(
        "--observe-hold",
        type=_seconds,
        metavar="SECONDS",
        help="how long a run holds each status for a client to see it (default 2; 0: never)",
    )
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds (a number >= 0), got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:
        # The reader went away (`harness diff ... | head`): stop quietly, as cat would.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except HarnessError as exc:
        print(escape.terminal(f"harness {args.command}: {exc}"), file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            escape.terminal(f"harness {args.command}: {where}{exc.strerror or exc}"),
            file=sys.stderr,
        )
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "inspect":
        from harness.inspect import inspect_lines

        _print_styled(inspect_lines(args.cassette), args.color)
        return 0
    if args.command == "transcript":
        from harness.transcript import load

        print(escape.json_text(load(args.cassette).to_json()))
        return 0
    if args.command == "show":
        return _show(args)
    if args.command == "diff":
        return _diff(args)
    if args.command == "parity":
        return _parity(args)
    if args.command == "verify":
        from harness.verify import verify_main

        return verify_main(args.cassettes, args.pattern)
    if args.command == "scrub":
        from harness.verify import scrub_main

        return scrub_main(args.cassettes, args.pattern)
    if args.command == "conformance":
        return _conformance(args.cassettes)
    from harness.backends import emulator_module

    emulator_module("harness emulator")  # one line naming the extra when it is missing
    from harness.emulator.http.server import serve
    from harness.emulator.options import STANDALONE_POLL_AFTER_MS, EmulatorOptions

    options = EmulatorOptions(poll_after_ms=STANDALONE_POLL_AFTER_MS, code_isolation=args.sandbox)
    if args.observe_hold is not None:
        options = dataclasses.replace(options, observe_hold=args.observe_hold)
    serve(
        args.port,
        _brain(args),
        host=args.host,
        options=options,
        allowed_hosts=args.allow_host,
        allowed_origins=args.allow_origin,
    )
    return 0


def _diff(args: argparse.Namespace) -> int:
    """Exit 0 when the conversations are equivalent, 1 when they differ (2: an error)."""
    from pathlib import Path

    from harness.diff import diff_git, diff_paths
    from harness.diff.render import render

    if args.git is not None:
        if len(args.paths) > 1:
            raise ConfigError("with --git REV give one folder or cassette (default: cassettes)")
        report = diff_git(args.git, Path(args.paths[0] if args.paths else "cassettes"))
    elif len(args.paths) != 2:
        raise ConfigError("give two cassettes or two folders: harness diff OLD NEW")
    else:
        report = diff_paths(Path(args.paths[0]), Path(args.paths[1]))
    if args.format == "html":
        from harness.show.diffview import diff_html

        text = diff_html(report)
    else:
        text = render(report, args.format)
    _emit("diff", text, args.output)
    return 0 if report.equivalent else 1


def _show(args: argparse.Namespace) -> int:
    """Exit 0 when every page was written, 2 when a cassette could not be read."""
    from pathlib import Path

    from harness.show import show

    shown = show([Path(p) for p in args.cassettes], Path(args.output) if args.output else None)
    for problem in shown.problems:
        print(f"harness show: {problem}", file=sys.stderr)
    print(shown.page)
    return 2 if shown.problems else 0


def _parity(args: argparse.Namespace) -> int:
    """Exit 0 when both sides hold the same conversations, 1 when they differ (2: an error)."""
    from pathlib import Path

    from harness.parity.render import render
    from harness.parity.report import parity_paths

    report = parity_paths(Path(args.old), Path(args.new), tuple(args.accept))
    if args.format == "html":
        from harness.show.diffview import parity_html

        text = parity_html(report, Path(args.old), Path(args.new))
    else:
        text = render(report, args.format)
    _emit("parity", text, args.output)
    return 0 if report.same else 1


def _emit(command: str, text: str, output: str | None) -> None:
    """Print a report, or write it to `output` atomically."""
    if output:
        from pathlib import Path

        from harness.cassette.storage import write_atomic

        write_atomic(Path(output), text)
        print(f"harness {command}: wrote {output}", file=sys.stderr)
    else:
        print(text)


def _conformance(paths: Sequence[str]) -> int:
    from harness.conformance import check_files, summary
    from harness.verify import cassette_files

    deviations = check_files(cassette_files(paths))
    for line in summary(deviations):
        print(line)
    if not deviations:
        print("no deviation from the API")
    return 1 if deviations else 0


_MODEL_FLAGS = {
    "base_url": "model_base_url",
    "api_key_env": "model_key_env",
    "temperature": "model_temperature",
    "seed": "model_seed",
    "timeout": "model_timeout",
}


def _brain(args: argparse.Namespace) -> Any:
    """The brain file's brain, with the model the `--model*` flags name (they win over the
    file's `model` section)."""
    from harness.emulator.engine.brain import load_brain
    from harness.emulator.engine.model.settings import parse_model

    brain = load_brain(args.brain)
    given = {key: getattr(args, flag) for key, flag in _MODEL_FLAGS.items()}
    given = {key: value for key, value in given.items() if value is not None}
    if args.model is None:
        if given:
            raise ConfigError("the --model-* options need --model NAME")
        return brain
    if "base_url" not in given:
        raise ConfigError("--model needs --model-base-url URL (the Chat Completions API base)")
    names = {key: "--" + flag.replace("_", "-") for key, flag in _MODEL_FLAGS.items()}
    settings = parse_model({"model": args.model, **given}, "--model", {**names, "model": "--model"})
    brain = dataclasses.replace(brain, model=settings)
    env = given.get("api_key_env")
    if env and not os.environ.get(env):
        print(
            f"harness emulator: warning: ${env} is not set; runs the model decides will fail",
            file=sys.stderr,
        )
    return brain


def _print_styled(lines: Sequence[tuple[str, str]], color: str) -> None:
    """(rich style, text) lines: coloured on a terminal or with `always`, plain otherwise."""
    if color == "always" or (color == "auto" and sys.stdout.isatty()):
        from rich.console import Console
        from rich.text import Text

        # `always` colours a pipe too; lines are never re-wrapped (rich would cut them at 80)
        console = Console(highlight=False, force_terminal=True, soft_wrap=True)
        for style, text in lines:
            console.print(Text(escape.terminal(text), style=style))
    else:
        for _, text in lines:
            print(escape.terminal(text))


if __name__ == "__main__":
    raise SystemExit(main())
