"""Cassette files and folders are untrusted input (a pull request can commit anything).

The attacks: a FIFO where a cassette should be (replay and `verify` hung), a
committed symlink to `/dev/zero` (MemoryError) or out of the cassette folder,
`repeat: 1000000000000` (verify and scrub hung), a duplicate key inside a JSON
value (the fast reader kept the last one silently, the YAML reader refused),
`harness scrub` on a symlink (it said "scrubbed", replaced the link with a copy and
left the secret in the target). Each gets one line naming the file, quickly.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.storage import read_cassette
from harness.errors import CassetteFormatError
from harness.verify import scrub_main, verify_main
from tests.reliability.leaks import openai_key

JSON = {"content-type": "application/json"}


def _cassette(text: str = "hi", repeat: int = 1) -> str:
    request = Request("POST", "/threads", body={"metadata": {"note": text}})
    response = Response(200, JSON, {"id": "thread_1", "metadata": {"note": text}})
    return dumps(
        Cassette(meta={"base_path": "/v1"}, interactions=[Interaction(request, response, repeat)])
    )


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    """The `harness` command in its own process: a hang is a failure, not a stuck suite."""
    return subprocess.run(
        [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_fifo_is_refused_by_replay_and_verify(tmp_path: Path) -> None:
    folder = tmp_path / "cassettes"
    folder.mkdir()
    fifo = folder / "test_app.yaml"
    os.mkfifo(fifo)
    with pytest.raises(CassetteFormatError, match=r"test_app.yaml: a FIFO, not a cassette file"):
        read_cassette(fifo)
    for target in (fifo, folder):
        done = _harness("verify", str(target))
        assert done.returncode == 2
        assert f"{fifo}: a FIFO, not a cassette file" in done.stdout + done.stderr


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "test_app.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(CassetteFormatError) as caught:
        read_cassette(link, root=Path("/"))
    assert str(caught.value).startswith(f"{link}: a device, not a cassette file")
    with pytest.raises(CassetteFormatError, match="leading out of the cassette folder"):
        read_cassette(link)
    done = _harness("verify", str(tmp_path))
    assert done.returncode == 2 and "leading out of the cassette folder" in done.stdout


def test_a_link_inside_the_folder_reads_and_one_leading_out_does_not(tmp_path: Path) -> None:
    folder, outside = tmp_path / "cassettes", tmp_path / "elsewhere"
    (folder / "a").mkdir(parents=True)
    outside.mkdir()
    (folder / "a" / "real.yaml").write_text(_cassette())
    (outside / "secret.yaml").write_text(_cassette())
    inside = folder / "a" / "inside.yaml"
    inside.symlink_to("real.yaml")
    assert len(read_cassette(inside).interactions) == 1
    out = folder / "a" / "out.yaml"
    out.symlink_to(outside / "secret.yaml")
    with pytest.raises(CassetteFormatError) as caught:
        read_cassette(out, root=folder)
    assert str(caught.value).startswith(f"{out}: a symlink leading out of the cassette folder")
    assert "\n" not in str(caught.value)


def test_a_huge_file_is_refused_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cassette import storage

    monkeypatch.setattr(storage, "MAX_CASSETTE_BYTES", 1000)
    path = tmp_path / "big.yaml"
    path.write_text(_cassette("x" * 2000))
    with pytest.raises(CassetteFormatError, match=r"big.yaml: larger than"):
        read_cassette(path)


@pytest.mark.parametrize("repeat", ["1000000000000", "100001", "0", "-1", "1.5", "true"])
def test_every_count_is_bounded(tmp_path: Path, repeat: str) -> None:
    text = _cassette(repeat=2).replace("\n  repeat: 2\n", f"\n  repeat: {repeat}\n")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(
        CassetteFormatError, match=r"field 'repeat' must be a positive integer \(at most 100000\)"
    ):
        loads(text, str(path))
    for command in ("verify", "scrub"):
        done = _harness(command, str(path))
        assert done.returncode == 2, done
        assert (
            "field 'repeat' must be a positive integer (at most 100000)"
            in done.stdout + done.stderr
        )
    assert path.read_text() == text


@pytest.mark.parametrize("where", ["request body", "response body", "meta"])
def test_both_readers_refuse_a_key_given_twice_inside_a_value(tmp_path: Path, where: str) -> None:
    text = _cassette()
    old = {
        "request body": '"note": "hi"\n',
        "response body": '"id": "thread_1",\n',
        "meta": '"base_path": "/v1"\n',
    }[where]
    assert old in text
    first = text.index(old) if where != "response body" else text.rindex(old)
    twice = old.rstrip("\n").rstrip(",") + ",\n" + old
    doubled = text[:first] + twice + text[first + len(old) :]
    with pytest.raises(CassetteFormatError, match="given twice"):
        loads(doubled, "fast.yaml")
    # The same document in another YAML spelling goes through the YAML reader.
    respelled = doubled.replace("\ninteractions:\n", "\ninteractions:\n\n# hand-edited\n", 1)
    respelled = respelled.replace("- request: ", "-   request: ").replace(
        "\n  response: ", "\n    response: "
    )
    with pytest.raises(CassetteFormatError, match="given twice"):
        loads(respelled, "yaml.yaml")


def _respelled(text: str) -> str:
    """The same document in another YAML spelling: the YAML reader reads it."""
    return text.replace("- request: ", "-   request: ").replace(
        "\n  response: ", "\n    response: "
    )


def test_a_key_given_twice_is_refused_however_the_strings_spell_quotes() -> None:
    # The fast reader's check counts quote bytes; a quote spelled `\u0022` is written back
    # as `\"`, one byte more each, so four of them would hide a dropped `"note": "hi"`.
    text = _cassette("QUOTES").replace('"QUOTES"', '"x\\u0022\\u0022\\u0022\\u0022y"', 1)
    assert loads(text).interactions[0].request.body == {"metadata": {"note": 'x""""y'}}
    doubled = text.replace('"note": ', '"note": "hi",\n      "note": ', 1)
    assert loads(_respelled(text)) == loads(text)
    for spelling, name in ((doubled, "fast.yaml"), (_respelled(doubled), "yaml.yaml")):
        with pytest.raises(CassetteFormatError, match="given twice"):
            loads(spelling, name)


@pytest.mark.parametrize(
    ("note", "spelled"),
    [
        ('":', None),
        ("\\", None),
        ('\\":', None),
        (":", None),
        ('{"a": 1, "b": "c"}', None),
        ("é\u2028", None),
        ('":', '"\\u0022:"'),
        ("/é", '"\\/\\u00e9"'),
        ('\\":', '"\\\\\\u0022:"'),
    ],
)
def test_strings_that_look_like_keys_are_no_key_given_twice(note: str, spelled: str) -> None:
    text = _cassette(note if spelled is None else "NOTE")
    if spelled is not None:
        text = text.replace('"NOTE"', spelled)
    cassette = loads(text)
    assert cassette.interactions[0].request.body == {"metadata": {"note": note}}
    assert cassette.interactions[0].response.body["metadata"] == {"note": note}
    assert loads(_respelled(text)) == cassette


def test_scrub_on_a_link_scrubs_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    key = openai_key()
    folder = tmp_path / "cassettes"
    folder.mkdir()
    real = folder / "real.yaml"
    real.write_text(_cassette(f"key {key}"))
    link = folder / "link.yaml"
    link.symlink_to("real.yaml")
    report = io.StringIO()
    assert scrub_main([str(link)], [], out=report) == 0, report.getvalue()
    assert link.is_symlink() and os.readlink(link) == "real.yaml"
    assert key not in real.read_text()
    assert f"{link} (a link; its target {real}): scrubbed (" in report.getvalue()
    assert verify_main([str(folder)], [], out=io.StringIO()) == 0


def test_scrub_on_a_link_leading_out_refuses_and_never_says_scrubbed(tmp_path: Path) -> None:
    key = openai_key()
    folder, outside = tmp_path / "cassettes", tmp_path / "elsewhere"
    folder.mkdir()
    outside.mkdir()
    (outside / "real.yaml").write_text(_cassette(f"key {key}"))
    link = folder / "link.yaml"
    link.symlink_to(outside / "real.yaml")
    report = io.StringIO()
    assert scrub_main([str(folder)], [], out=report) == 2
    assert "scrubbed" not in report.getvalue()
    assert "leading out of the cassette folder" in report.getvalue()
    assert link.is_symlink() and key in (outside / "real.yaml").read_text()
