"""`harness inspect`, `transcript` and `diff` read what a server that deviates from the API
sent by its real shape: a mislabelled list is a list (never a phantom `run None on None`),
any error body shows its message (never `None`), text given in another shape shows as text
(never a Python repr), and a file's delete answer does not erase what the file was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.storage import write_cassette
from harness.cli import main

RUN = {
    "id": "run_a",
    "object": "thread.run",
    "created_at": 1_760_000_000_000,
    "thread_id": "thread_a",
    "assistant_id": "asst_a",
    "status": "completed",
}
STEP = {
    "id": "step_a",
    "object": "thread.run.step",
    "created_at": 1_760_000_000_001,
    "run_id": "run_a",
    "thread_id": "thread_a",
    "type": "message_creation",
    "status": "completed",
    "step_details": {"type": "message_creation", "message_creation": {"message_id": "msg_a"}},
}


def _message(content: Any, ident: str = "msg_a") -> dict[str, Any]:
    return {
        "id": ident,
        "object": "thread.message",
        "created_at": 1_760_000_000_002,
        "thread_id": "thread_a",
        "role": "assistant",
        "run_id": "run_a",
        "content": content,
    }


def _cassette(tmp_path: Path, *interactions: Interaction, name: str = "dev.yaml") -> Path:
    path = tmp_path / name
    write_cassette(path, Cassette(interactions=list(interactions)))
    return path


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    main(argv)
    return capsys.readouterr().out


def _get(path: str, body: Any, status: int = 200, **response: Any) -> Interaction:
    return Interaction(Request("GET", path), Response(status, body=body, **response))


def test_a_list_labelled_as_a_step_is_its_steps_not_a_phantom_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    steps = {"object": "thread.run.step", "data": [STEP], "first_id": "step_a", "has_more": False}
    path = _cassette(
        tmp_path,
        _get("/threads/thread_a/runs/run_a", RUN),
        _get("/threads/thread_a/runs/run_a/steps", steps),
    )
    inspected = _run(["inspect", str(path)], capsys)
    assert "None" not in inspected
    assert inspected.splitlines()[:2] == [
        "run run_1 on thread_1: completed",
        "  step step_1 message_creation [completed]",
    ]
    data = json.loads(_run(["transcript", str(path)], capsys))
    assert [run["id"] for run in data["runs"]] == ["run_1"]
    assert data["listings"][0]["kind"] == "steps"
    assert data["listings"][0]["items"][0]["id"] == "step_1"


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (
            [{"type": "text", "text": [{"value": "Hi ", "annotations": []}, {"value": "there"}]}],
            "Hi there",
        ),
        ([{"type": "text", "text": "Hi there"}], "Hi there"),
        ("Hi there", "Hi there"),
        ({"type": "text", "text": {"value": "Hi there", "annotations": []}}, "Hi there"),
        ([{"type": "output_text", "text": "Hi there"}], "Hi there"),
        (
            [{"type": "chart", "chart": {"bars": [1, 2]}}],
            '{"type": "chart", "chart": {"bars": [1, 2]}}',
        ),
    ],
    ids=[
        "text-as-list",
        "text-as-string",
        "content-as-string",
        "one-part",
        "other-kind",
        "unknown",
    ],
)
def test_message_content_in_other_shapes_shows_as_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: Any, shown: str
) -> None:
    listing = {"object": "list", "data": [_message(content)], "has_more": False}
    path = _cassette(tmp_path, _get("/threads/thread_a/messages", listing))
    assert f"[thread_1] assistant: {shown}" in _run(["inspect", str(path)], capsys)
    data = json.loads(_run(["transcript", str(path)], capsys))
    assert data["messages"][0]["text"] == shown
    assert data["listings"][0]["items"][0]["text"] == shown


HTML = "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (Response(404, body={"detail": "thread thread_a not found"}), "thread thread_1 not found"),
        (
            Response(422, body={"detail": [{"loc": ["body", "model"], "msg": "field required"}]}),
            "body.model: field required",
        ),
        (Response(400, body={"error": "no such run"}), "no such run"),
        (Response(400, body={"message": "bad request", "status": 400}), "bad request"),
        (Response(404, text="thread thread_a does not exist"), "thread thread_1 does not exist"),
        (Response(502, text=HTML), "404 Not Found Not Found"),
        (Response(500, body={"weird": True}), '{"weird": true}'),
    ],
    ids=["detail", "detail-list", "error-string", "message", "plain-text", "html", "unknown"],
)
def test_an_error_body_of_any_shape_shows_its_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], response: Response, message: str
) -> None:
    path = _cassette(
        tmp_path,
        _get("/threads/thread_a", {"id": "thread_a", "object": "thread", "created_at": 1}),
        Interaction(Request("GET", "/threads/thread_a/runs/run_a"), response),
    )
    inspected = _run(["inspect", str(path)], capsys)
    assert f"error {response.status} on GET /threads/thread_1/runs/run_1: {message}" in inspected
    data = json.loads(_run(["transcript", str(path)], capsys))
    assert data["errors"][0]["message"] == message


def test_deleting_a_file_keeps_its_name_and_purpose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    made = {
        "id": "file-a",
        "object": "file",
        "bytes": 3,
        "created_at": 1,
        "filename": "notes.txt",
        "purpose": "assistants",
    }
    path = _cassette(
        tmp_path,
        Interaction(Request("POST", "/files"), Response(200, body=made)),
        Interaction(
            Request("DELETE", "/files/file-a"),
            Response(200, body={"id": "file-a", "object": "file", "deleted": True}),
        ),
    )
    data = json.loads(_run(["transcript", str(path)], capsys))
    assert data["files"] == [
        {
            "id": "file_1",
            "filename": "notes.txt",
            "purpose": "assistants",
            "lifecycle": ["created", "deleted"],
        }
    ]


def test_harness_diff_of_two_takes_of_a_deviating_server_names_no_phantom(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def take(name: str, suffix: str, text: str) -> Path:
        run = {**RUN, "id": f"run_{suffix}"}
        step = {**STEP, "id": f"step_{suffix}", "run_id": f"run_{suffix}"}
        steps = {"object": "thread.run.step", "data": [step], "has_more": False}
        message = {**_message([{"type": "text", "text": [{"value": text}]}]), "run_id": run["id"]}
        return _cassette(
            tmp_path,
            _get(f"/threads/thread_a/runs/run_{suffix}", run),
            _get(f"/threads/thread_a/runs/run_{suffix}/steps", steps),
            _get("/threads/thread_a/messages", {"object": "list", "data": [message]}),
            Interaction(
                Request("POST", f"/threads/thread_a/runs/run_{suffix}/cancel"),
                Response(400, body={"detail": f"run run_{suffix} cannot be cancelled"}),
            ),
            name=name,
        )

    old, same, new = (
        take("old.yaml", "x", "Hi"),
        take("same.yaml", "y", "Hi"),
        take("new.yaml", "z", "Ho"),
    )
    assert main(["diff", str(old), str(same)]) == 0
    capsys.readouterr()
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "None" not in out and "'value'" not in out
    assert "Hi" in out and "Ho" in out


def test_a_file_deleted_on_the_emulator_keeps_its_name_in_the_transcript(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(
        test_files="""
import pytest

@pytest.mark.assistants_cassette
def test_upload_and_delete(openai_client, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("the notes")
    made = openai_client.files.create(file=path.open("rb"), purpose="assistants")
    assert openai_client.files.delete(made.id).deleted
"""
    )
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_files" / "test_upload_and_delete.yaml"
    capsys.readouterr()
    data = json.loads(_run(["transcript", str(cassette)], capsys))
    assert data["files"] == [
        {
            "id": "file_1",
            "filename": "notes.txt",
            "purpose": "assistants",
            "lifecycle": ["created", "deleted"],
        }
    ]


# Every field of each object left out, or sent as a value of another JSON type: the
# deviations the conformance report names (a required field missing, a field of the wrong
# type or shape) never crash the readers, and never show a Python repr.
_OBJECTS = {
    "run": ("/threads/thread_a/runs/run_a", RUN),
    "step": (
        "/threads/thread_a/runs/run_a/steps",
        {**STEP, "step_details": {"type": "tool_calls", "tool_calls": [{"id": "call_a"}]}},
    ),
    "message": (
        "/threads/thread_a/messages",
        _message([{"type": "text", "text": {"value": "Hi"}}]),
    ),
    "file": (
        "/files/file-a",
        {"id": "file-a", "object": "file", "filename": "a.txt", "purpose": "assistants"},
    ),
}
_ODD_VALUES: list[Any] = [None, 7, "text", [{"value": "x"}], {"value": "x"}]


def _deviations() -> list[tuple[str, str, Any]]:
    cases: list[tuple[str, str, Any]] = []
    for name, (_, obj) in _OBJECTS.items():
        for field in obj:
            cases.append((name, field, "missing"))
            cases += [(name, field, value) for value in _ODD_VALUES if value != obj[field]]
    return cases


def test_every_missing_or_mistyped_field_reads_without_crashing() -> None:
    from harness.diff import diff_cassettes
    from harness.inspect import render_lines
    from harness.transcript import transcript

    def cassette(name: str, field: str, value: Any) -> Cassette:
        path, obj = _OBJECTS[name]
        changed = {k: v for k, v in obj.items() if k != field}
        if value != "missing":
            changed[field] = value
        body = {"object": "list", "data": [changed]} if name in ("step", "message") else changed
        return Cassette(interactions=[_get(path, body)])

    for name, field, value in _deviations():
        odd = cassette(name, field, value)
        lines = [text for _, text in render_lines(transcript(odd).to_data())]
        shown = "\n".join(lines)
        assert "{'" not in shown and "['" not in shown, (name, field, value, shown)
        diff_cassettes(cassette(name, field, "missing"), odd)
