"""`harness inspect CASSETTE`: a cassette as a conversation a reviewer can read.

Per run: its status timeline, its steps with tool calls and outputs; then the
messages in chronological order. Each line comes with a rich style name, so
the command can colour it on a terminal and print plain text when piped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.transcript import load


def render_lines(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(style, text) lines; the style is a rich style name or ''."""
    lines: list[tuple[str, str]] = []
    for run in data.get("runs", []):
        statuses = " -> ".join(run.get("statuses", []))
        lines.append(("bold cyan", f"run {run['id']} on {run.get('thread')}: {statuses}"))
        if run.get("last_error"):
            lines.append(("red", f"  last_error: {json.dumps(run['last_error'])}"))
        for action in run.get("required_actions", []):
            for call in action:
                arguments = json.dumps(call.get("arguments"), ensure_ascii=False)
                lines.append(("yellow", f"  requires_action: {call.get('name')}({arguments})"))
        for submission in run.get("submissions", []):
            for output in submission.get("outputs", []):
                lines.append(("green", f"  submitted {output.get('call')}: {output.get('output')}"))
        for step in run.get("steps", []):
            kind = step.get("type")
            statuses = ",".join(step.get("statuses", []))
            lines.append(("", f"  step {step.get('id')} {kind} [{statuses}]"))
            for call in step.get("tool_calls", []) or []:
                lines.append(("dim", "    " + json.dumps(call, ensure_ascii=False)[:300]))
    if data.get("messages"):
        lines.append(("bold", "messages (chronological):"))
    for message in data.get("messages", []):
        style = "magenta" if message.get("role") == "assistant" else "blue"
        text = (message.get("text") or "").replace("\n", " ")
        lines.append((style, f"  [{message.get('thread')}] {message.get('role')}: {text}"))
    for stream in data.get("streams", []):
        lines.append(
            ("dim", f"stream {stream.get('request')}: {len(stream.get('events', []))} event kinds")
        )
    for error in data.get("errors", []):
        lines.append(
            (
                "red",
                f"error {error.get('status')} on {error.get('request')}: {error.get('message')}",
            )
        )
    return lines


def inspect_lines(path: str | Path) -> list[tuple[str, str]]:
    """The (style, text) lines `harness inspect` prints for the cassette at `path`."""
    transcript = load(path)
    data = transcript.to_data()
    if data.get("messages"):
        # The transcript keeps messages in the order the app first saw them (a newest-first
        # listing shows the reply before the question); a reader wants them as written.
        # Within one second, messages a run wrote come after the others.
        messages = transcript.messages
        order = sorted(
            range(len(messages)),
            key=lambda i: (messages[i].created or 0, messages[i].run is not None),
        )
        data["messages"] = [data["messages"][i] for i in order]
    return render_lines(data)
