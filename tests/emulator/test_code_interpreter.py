"""code_interpreter: notebook-style output, and outputs as the real API sent them
(`outputs: []` when nothing was printed, `logs` only when there is output, an `image` output
and an `assistants_output` file for every PNG the code saves)."""

from __future__ import annotations

import dataclasses
import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from harness.emulator import EmulatorServer
from harness.emulator.tools.code_interpreter import run_code
from tests.emulator.helpers import FAST


def png(width: int = 2, height: int = 2) -> bytes:
    """A valid, tiny PNG, built by hand (matplotlib is not a dependency)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_last_expression_is_shown_like_a_notebook() -> None:
    result = run_code("x = [i * i for i in range(5)]\nprint('squares')\nx", timeout=10)
    assert result.logs == "squares\n[0, 1, 4, 9, 16]\n" and not result.timed_out


def test_errors_give_a_traceback_of_the_cell_only() -> None:
    result = run_code("def f():\n    return 1 / 0\nf()", timeout=10)
    assert "ZeroDivisionError: division by zero" in result.logs
    assert 'File "<code>", line 2' in result.logs and "harness" not in result.logs


def test_files_are_in_the_working_directory() -> None:
    result = run_code(
        "print(open('data.csv').read())", timeout=10, files={"data.csv": b"a,b\n1,2\n"}
    )
    assert result.logs == "a,b\n1,2\n\n"


def test_only_new_png_images_come_back() -> None:
    image = png()
    code = (
        f"open('chart.png', 'wb').write({image!r})\n"
        "open('notes.png', 'wb').write(b'not a png')\n"
        "import os\nos.symlink('/etc/hostname', 'link.png')\n"
        "None"
    )
    result = run_code(code, timeout=10, files={"given.png": png(3, 3)})
    assert [(i.name, i.content) for i in result.images] == [("chart.png", image)]
    assert result.logs == ""


def _code_run(client: Any, emulator: Any, code: str, say: str = "Done: {{logs}}") -> Any:
    emulator.set_brain([{"actions": [{"code": code}, {"say": say}]}])
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}])
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, poll_interval_ms=5)
    assert run.status == "completed", run.last_error
    raw = client.beta.threads.runs.steps.with_raw_response.list(
        thread_id=run.thread_id, run_id=run.id, order="asc"
    )
    steps = json.loads(raw.text)["data"]
    message = client.beta.threads.messages.list(thread_id=run.thread_id).data[0]
    return steps[0]["step_details"]["tool_calls"][0]["code_interpreter"], message


def test_code_that_prints_nothing_has_no_outputs(client: Any, emulator: Any) -> None:
    call, message = _code_run(client, emulator, "x = 6 * 7")
    assert call == {"input": "x = 6 * 7", "outputs": []}
    assert message.content[0].text.value == "Done: "


def test_code_that_prints_has_one_logs_output(client: Any, emulator: Any) -> None:
    call, message = _code_run(client, emulator, "print(6 * 7)")
    assert call["outputs"] == [{"type": "logs", "logs": "42\n"}]
    assert message.content[0].text.value == "Done: 42"


def test_a_saved_png_becomes_an_image_output_and_a_downloadable_file(
    client: Any, emulator: Any
) -> None:
    image = png(4, 3)
    code = f"open('figure.png', 'wb').write({image!r})\nprint('saved')"
    call, _ = _code_run(client, emulator, code)
    logs, picture = call["outputs"]
    assert logs == {"type": "logs", "logs": "saved\n"}
    assert picture["type"] == "image" and set(picture["image"]) == {"file_id"}
    file_id = picture["image"]["file_id"]
    raw = client.files.with_raw_response.retrieve(file_id)
    obj = json.loads(raw.text)
    assert obj["purpose"] == "assistants_output" and obj["bytes"] == len(image)
    assert obj["filename"] == "figure.png"
    assert client.files.content(file_id).read() == image


def test_an_image_without_logs_streams_one_image_output(client: Any, emulator: Any) -> None:
    image = png()
    emulator.set_brain(
        [{"actions": [{"code": f"open('p.png', 'wb').write({image!r})\nNone"}, {"say": "ok"}]}]
    )
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "code_interpreter"}])
    with client.beta.threads.create_and_run_stream(assistant_id=assistant.id) as stream:
        deltas = [
            event.data.delta.step_details.tool_calls[0].code_interpreter.outputs
            for event in stream
            if event.event == "thread.run.step.delta"
            and event.data.delta.step_details.tool_calls[0].code_interpreter.outputs
        ]
    assert len(deltas) == 1 and [o.type for o in deltas[0]] == ["image"]
    assert deltas[0][0].index == 0
    assert client.files.content(deltas[0][0].image.file_id).read() == image


def _big_pngs(count: int, size: int, prefix: str = "plot") -> str:
    """Code saving `count` PNG files of `size` bytes each (a signature, then padding)."""
    return (
        f"for i in range({count}):\n"
        f"    open(f'{prefix}{{i}}.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n' + bytes({size} - 8))\n"
        "print('saved')"
    )


def test_what_code_outputs_never_shows_its_bytes_in_a_repr() -> None:
    result = run_code(_big_pngs(3, 1024 * 1024), timeout=20)
    assert [image.name for image in result.images] == ["plot0.png", "plot1.png", "plot2.png"]
    assert len(repr(result)) < 1000
    assert "Image(name='plot0.png', 1048576 bytes)" in repr(result)


def test_run_code_keeps_images_only_up_to_the_room_it_is_given() -> None:
    result = run_code(_big_pngs(4, 1000), timeout=20, output_room=2500)
    assert [image.name for image in result.images] == ["plot0.png", "plot1.png"]
    assert result.dropped == ("plot2.png", "plot3.png")
    assert "[not kept: plot2.png, plot3.png:" in result.logs


@pytest.fixture
def capped() -> Iterator[tuple[Any, Any]]:
    from openai import OpenAI

    options = dataclasses.replace(FAST, max_output_bytes_per_run=25_000, max_output_bytes=35_000)
    with (
        EmulatorServer(options=options) as server,
        OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as client,
    ):
        yield client, server


def _outputs(client: Any) -> list[str]:
    return sorted(f.filename for f in client.files.list(purpose="assistants_output"))


def test_outputs_are_capped_per_run_and_per_emulator_and_go_with_their_thread(
    capped: tuple[Any, Any],
) -> None:
    client, server = capped
    # A run keeps 25,000 bytes of images: two of 10,000; the third is named in the logs.
    first, first_message = _code_run(client, server, _big_pngs(3, 10_000, "a"))
    assert [o["type"] for o in first["outputs"]] == ["logs", "image", "image"]
    assert "[not kept: a2.png: " in first["outputs"][0]["logs"]
    assert _outputs(client) == ["a0.png", "a1.png"]
    # The emulator keeps 35,000 in all: the next run may keep one more image of 10,000.
    second, second_message = _code_run(client, server, _big_pngs(2, 10_000, "b"))
    assert [o["type"] for o in second["outputs"]] == ["logs", "image"]
    assert _outputs(client) == ["a0.png", "a1.png", "b0.png"]
    # Deleting a thread drops what its runs' code made, and so makes room again.
    for message in (first_message, second_message):
        client.beta.threads.delete(message.thread_id)
    assert _outputs(client) == []
    third, _ = _code_run(client, server, _big_pngs(2, 10_000, "c"))
    assert [o["type"] for o in third["outputs"]] == ["logs", "image", "image"]
    server.reset()
    assert _outputs(client) == []


def test_a_responses_container_keeps_outputs_within_the_caps_and_frees_them_when_deleted(
    capped: tuple[Any, Any],
) -> None:
    client, server = capped

    def respond(prefix: str) -> tuple[str, list[str]]:
        server.set_brain([{"actions": [{"code": _big_pngs(3, 10_000, prefix)}, {"say": "ok"}]}])
        tool = {"type": "code_interpreter", "container": {"type": "auto"}}
        response = client.responses.create(
            model="gpt-4o", input="plot", tools=[tool], include=["code_interpreter_call.outputs"]
        )
        call = response.output[0]
        files = client.containers.files.list(call.container_id).data
        return call.container_id, sorted(f.path for f in files)

    first, kept = respond("r")
    assert kept == ["/mnt/data/r0.png", "/mnt/data/r1.png"]  # 25,000 bytes a response
    _, kept = respond("s")
    assert kept == ["/mnt/data/s0.png"]  # 35,000 in all
    client.containers.delete(first)
    _, kept = respond("t")
    assert kept == ["/mnt/data/t0.png", "/mnt/data/t1.png"]
