"""`harness verify` finds what redaction would remove; `harness scrub` removes exactly that.

The attack: cassettes written without redaction (by an older harness, by
hand, by vcrpy) that hold a secret in each shape it takes: a credential
query parameter, header or JSON field, JSON encoded inside a string, a
streamed text split across events, a binary body (base64) and base64 inside
text, an Azure key in an assignment (bare hex is data: a uuid, a hash), a YAML comment, a vcrpy `api-key:` header. `verify`
must report each (without printing it) and exit 1; `scrub` must remove what
`verify` reported, say so in the same words, keep the file's mode, and leave
a file that `verify` passes and that holds no trace of the secret.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cassette.format import dumps
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.recorder import Recorder
from harness.cassette.redact import Redactor
from harness.cli import main
from harness.verify import audit, scrub_main, verify_main
from tests.reliability.leaks import azure_key, leaks, opaque, openai_key

JSON = {"content-type": "application/json"}


def _stream(field: str, text: str, size: int = 5) -> tuple[dict[str, object], ...]:
    """A message or tool-call stream whose field is cut into `size`-character deltas."""

    def delta(piece: str) -> dict[str, object]:
        if field == "message":
            body: dict[str, object] = {
                "content": [{"index": 0, "type": "text", "text": {"value": piece}}]
            }
        else:
            call = {"index": 0, "type": "function", "function": {"arguments": piece}}
            body = {"step_details": {"type": "tool_calls", "tool_calls": [call]}}
        return {"event": "thread.message.delta", "data": {"id": "msg_1", "delta": body}}

    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    return tuple(delta(p) for p in pieces)


def _one(request: Request, response: Response) -> Cassette:
    return Cassette(meta={"base_path": "/v1"}, interactions=[Interaction(request, response)])


def _ok(body: object = None) -> Response:
    return Response(200, JSON, body if body is not None else {"id": "x"})


# Each shape: (name, secret, builds a raw cassette text holding it).
Shape = tuple[str, Callable[[str], str]]
SHAPES: dict[str, tuple[Callable[[], str], Callable[[str], str]]] = {
    "query parameter": (
        opaque,
        lambda s: dumps(_one(Request("GET", "/threads/t/messages", (("access-token", s),)), _ok())),
    ),
    "credential header": (
        opaque,
        lambda s: dumps(_one(Request("GET", "/assistants", headers={"x-api-key": s}), _ok())),
    ),
    "metadata key": (
        opaque,
        lambda s: dumps(_one(Request("POST", "/threads", body={"metadata": {"pwd": s}}), _ok())),
    ),
    "response JSON key": (
        opaque,
        lambda s: dumps(_one(Request("GET", "/threads/t"), _ok({"client_secret": s}))),
    ),
    "JSON inside a string": (
        opaque,
        lambda s: dumps(
            _one(
                Request(
                    "POST",
                    "/threads/t/runs/r/submit_tool_outputs",
                    body={"tool_outputs": [{"output": json.dumps({"password": s, "ok": True})}]},
                ),
                _ok(),
            )
        ),
    ),
    "key in text": (
        openai_key,
        lambda s: dumps(_one(Request("POST", "/assistants", body={"instructions": s}), _ok())),
    ),
    "message split across events": (
        openai_key,
        lambda s: dumps(
            _one(
                Request("POST", "/threads/runs"),
                Response(200, {}, events=_stream("message", f"it is {s}.")),
            )
        ),
    ),
    "arguments split across events": (
        openai_key,
        lambda s: dumps(
            _one(
                Request("POST", "/threads/runs"),
                Response(200, {}, events=_stream("arguments", json.dumps({"note": s}), 3)),
            )
        ),
    ),
    "binary body": (
        openai_key,
        lambda s: dumps(
            _one(
                Request("GET", "/files/f/content"),
                Response(200, {}, base64=base64.b64encode(b"\xff\x00." + s.encode()).decode()),
            )
        ),
    ),
    "base64 inside text": (
        openai_key,
        lambda s: dumps(
            _one(
                Request("POST", "/threads/t/messages"),
                _ok({"text": "attachment " + base64.b64encode(b".." + s.encode()).decode()}),
            )
        ),
    ),
    "Azure key in an assignment": (
        azure_key,
        lambda s: dumps(
            _one(
                Request("POST", "/assistants", body={"instructions": f"AZURE_OPENAI_API_KEY={s}"}),
                _ok(),
            )
        ),
    ),
    "YAML comment": (
        openai_key,
        lambda s: f"# recorded with {s}\n" + dumps(_one(Request("GET", "/assistants"), _ok())),
    ),
    "vcrpy api-key header": (
        azure_key,
        lambda s: (
            "interactions:\n"
            "- request:\n"
            "    body: null\n"
            "    headers:\n"
            "      api-key:\n"
            f"      - {s}\n"
            "    method: GET\n"
            "    uri: https://example.openai.azure.com/openai/assistants?api-version=2024-05-01-preview\n"
            "  response:\n"
            "    body:\n"
            '      string: \'{"object": "list", "data": []}\'\n'
            "    headers: {}\n"
            "    status:\n"
            "      code: 200\n"
            "      message: OK\n"
            "version: 1\n"
        ),
    ),
    "vcrpy query and body": (
        opaque,
        lambda s: (
            "interactions:\n"
            "- request:\n"
            f'    body: \'{{"password": "{s}"}}\'\n'
            "    headers: {}\n"
            "    method: POST\n"
            f"    uri: https://gw.example/v1/assistants?subscription-key={s}\n"
            "  response:\n"
            "    body:\n"
            '      string: \'{"id": "asst_1"}\'\n'
            "    headers: {}\n"
            "    status:\n"
            "      code: 200\n"
            "      message: OK\n"
            "version: 1\n"
        ),
    ),
}


@pytest.fixture(autouse=True)
def _no_credentials_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "AZURE_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _write(tmp_path: Path, text: str, mode: int = 0o640) -> Path:
    path = tmp_path / "cassettes" / "raw.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _keeps_modes() -> bool:
    """Whether `storage.write_atomic` keeps an existing file's mode (the lead's change)."""
    import tempfile

    from harness.cassette.storage import write_atomic

    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe"
        probe.write_text("x")
        probe.chmod(0o640)
        write_atomic(probe, "y")
        return stat.S_IMODE(probe.stat().st_mode) == 0o640


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_verify_reports_and_scrub_removes_a_secret_in_every_shape(
    tmp_path: Path, shape: str
) -> None:
    make_secret, build = SHAPES[shape]
    secret = make_secret()
    path = _write(tmp_path, build(secret))

    report = io.StringIO()
    assert verify_main([str(path)], [], out=report) == 1
    findings = [line for line in report.getvalue().splitlines() if "remove it with" in line]
    assert findings and all(line.startswith(f"{path}:") for line in findings)
    assert all(f"remove it with: harness scrub {path}" in line for line in findings)
    assert leaks(report.getvalue(), {shape: secret}) == []

    scrubbed = io.StringIO()
    assert scrub_main([str(path)], [], out=scrubbed) == 0
    removed = [line for line in scrubbed.getvalue().splitlines() if line.endswith(": removed")]
    # Scrub says it removed exactly what verify reported.
    assert [line.removesuffix(": removed") for line in removed] == [
        line.split("; remove it with:")[0] for line in findings
    ]
    assert scrubbed.getvalue().splitlines()[-1] == f"{path}: scrubbed ({len(findings)} removed)"
    assert leaks(scrubbed.getvalue(), {shape: secret}) == []
    assert leaks(path.read_bytes(), {shape: secret}) == []
    again = io.StringIO()
    assert verify_main([str(path)], [], out=again) == 0, again.getvalue()
    assert sorted(p.name for p in path.parent.iterdir()) == ["raw.yaml"]
    if _keeps_modes():
        assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("shape", sorted(s for s in SHAPES if not s.startswith(("vcrpy", "YAML"))))
def test_verify_finds_what_the_recorder_removes(tmp_path: Path, shape: str) -> None:
    """The same rules: what the recorder would have removed from an exchange is
    what verify finds in a cassette that kept it."""
    make_secret, build = SHAPES[shape]
    secret = make_secret()
    text = build(secret)
    found = audit(_write(tmp_path, text), text).findings
    assert any(secret in f.text or f.text in secret or leaks(f.text, {"": secret}) for f in found)
    from harness.cassette.format import loads

    recorder = Recorder(Redactor.build(()))
    for interaction in loads(text).interactions:
        recorder.add(interaction.request, interaction.response)
    recorded = dumps(Cassette(meta={}, interactions=recorder.interactions))
    assert leaks(recorded, {shape: secret}) == []
    assert audit(_write(tmp_path, recorded), recorded).findings == []


def test_verify_and_scrub_know_the_environments_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = opaque("Env")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", secret)
    path = _write(
        tmp_path, dumps(_one(Request("POST", "/assistants", body={"note": secret}), _ok()))
    )
    report = io.StringIO()
    assert verify_main([str(path)], [], out=report) == 1
    assert "(known secret)" in report.getvalue()
    assert scrub_main([str(path)], [], out=io.StringIO()) == 0
    assert leaks(path.read_bytes(), {"env": secret}) == []


def test_a_clean_cassette_is_left_byte_for_byte(tmp_path: Path) -> None:
    text = dumps(_one(Request("POST", "/assistants", body={"role": "assistant"}), _ok()))
    path = _write(tmp_path, "# a comment, kept\n" + text, mode=0o644)
    before = path.read_bytes()
    report = io.StringIO()
    assert verify_main([str(tmp_path / "cassettes")], [], out=report) == 0
    assert report.getvalue() == "harness verify: 1 cassette file(s), no secrets found\n"
    out = io.StringIO()
    assert scrub_main([str(path)], [], out=out) == 0
    assert out.getvalue() == f"{path}: clean\n" and path.read_bytes() == before


def test_verify_and_scrub_exit_codes_through_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = openai_key()
    dirty = _write(tmp_path, SHAPES["key in text"][1](secret))
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\xff\xfe\x00binary")
    broken = tmp_path / "broken.yaml"
    broken.write_text("format: 1\nmeta: {\n")
    user = tmp_path / "user.yaml"
    user.write_text(
        dumps(_one(Request("POST", "/threads", body={"note": "ACME-0123456789"}), _ok()))
    )

    assert main(["verify", str(dirty)]) == 1
    assert main(["verify", str(junk), str(tmp_path / "missing.yaml")]) == 2
    assert main(["verify", str(broken)]) == 2
    assert main(["verify", str(user)]) == 0
    assert main(["verify", str(user), "--pattern", r"ACME-\d+"]) == 1
    assert main(["verify", str(user), "--pattern", "ACME-("]) == 2
    assert main(["scrub", str(broken)]) == 2
    assert broken.read_text() == "format: 1\nmeta: {\n"
    assert main(["scrub", str(dirty), str(user), "--pattern", r"ACME-\d+"]) == 0
    assert main(["verify", str(dirty), str(user), "--pattern", r"ACME-\d+"]) == 0
    output = capsys.readouterr()
    lines = (output.out + output.err).splitlines()
    assert f"{junk}: not a text cassette (byte 0 is not UTF-8)" in lines
    assert any(line.startswith(f"{broken}:") and "YAML" in line for line in lines)
    assert any("not a regular expression" in line for line in lines)
    assert leaks(output.out + output.err, {"key": secret}) == []


def test_verify_names_the_line_and_column_of_each_finding(tmp_path: Path) -> None:
    secret = openai_key()
    text = SHAPES["key in text"][1](secret)
    path = _write(tmp_path, text)
    (finding,) = audit(path, text).findings
    line = text.splitlines()[finding.line - 1]
    assert line[finding.column - 1 :].startswith(secret)
    assert str(finding).startswith(f"{path}:{finding.line}:{finding.column}: possible secret")
    assert os.fspath(path) in str(finding) and secret[:12] not in str(finding)


def test_scrub_keeps_every_comment_that_holds_no_secret(tmp_path: Path) -> None:
    secret = openai_key()
    text = dumps(
        Cassette(
            meta={"base_path": "/v1"},
            interactions=[
                Interaction(Request("POST", "/assistants", body={"note": secret}), _ok()),
                Interaction(Request("GET", "/assistants/x"), _ok()),
            ],
        )
    )
    lines = text.splitlines(keepends=True)
    second = next(i for i, line in enumerate(lines) if '"path": "/assistants/x"' in line) - 2
    reviewed = "".join(
        [
            "# Reviewed by Ana: the second request is the poll the app retries.\n",
            *lines[:second],
            "\n",
            "  # the retry, kept on purpose\n",
            f"# recorded with {secret}\n",
            *lines[second:],
        ]
    )
    path = _write(tmp_path, reviewed)
    assert scrub_main([str(path)], [], out=io.StringIO()) == 0
    scrubbed = path.read_text()
    assert secret not in scrubbed and "recorded with" not in scrubbed
    kept = scrubbed.splitlines()
    assert kept[0] == "# Reviewed by Ana: the second request is the poll the app retries."
    assert kept.count(lines[0].rstrip("\n")) == 1  # the cassette's own header, once
    at = kept.index("  # the retry, kept on purpose")
    assert kept[at - 1] == "" and kept[at + 1 : at + 3] == [
        line.rstrip("\n") for line in lines[second : second + 2]
    ]
    assert verify_main([str(path)], [], out=io.StringIO()) == 0
    assert main(["inspect", str(path)]) == 0
