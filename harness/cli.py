"""The `harness` command: inspect | transcript | verify | scrub | emulator.

Each subcommand is a thin shell over a library function; errors the harness
raises on purpose print as one line and exit 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from harness.errors import HarnessError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness", description="Record, replay and check Assistants API conversations."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="print a cassette as a readable conversation")
    inspect.add_argument("cassette")
    inspect.add_argument("--color", choices=["auto", "always", "never"], default="auto")

    transcript = commands.add_parser("transcript", help="print a cassette's transcript as JSON")
    transcript.add_argument("cassette")

    for name, text in (
        ("verify", "report secrets redaction would remove (exit 0 clean, 1 found, 2 error)"),
        ("scrub", "remove what verify reports, in place (atomically, keeping the mode)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("cassettes", nargs="+")
        sub.add_argument("--pattern", action="append", default=[], help="extra regular expression")

    emulator = commands.add_parser("emulator", help="serve the Assistants API emulator")
    emulator.add_argument("--port", type=int, default=8000)
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--brain", help="rules file (JSON or YAML)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except HarnessError as exc:
        print(f"harness {args.command}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"harness {args.command}: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr
        )
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.command == "inspect":
        from harness.inspect import inspect_main

        return inspect_main(args.cassette, color=args.color)
    if args.command == "transcript":
        from harness.transcript import transcript_main

        return transcript_main(args.cassette)
    if args.command == "verify":
        from harness.verify import verify_main

        return verify_main(args.cassettes, args.pattern)
    if args.command == "scrub":
        from harness.verify import scrub_main

        return scrub_main(args.cassettes, args.pattern)
    from harness.emulator.server import serve

    serve(args.port, args.brain, host=args.host)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
