"""Cassette files as a user's project sees them: one per test, never lost, the user's modes."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest

from harness.cassette.naming import file_stem, legacy_stem

IDS = ["a/b", "a b", "a-b", "a:b", "a\\b", "a\nb", "é", "a" * 300]


def test_file_names_are_one_per_test_id() -> None:
    names = {f"test_x[{i}]": file_stem(f"test_x[{i}]") for i in IDS}
    assert len(set(names.values())) == len(names)
    assert file_stem("test_x[a-b]") == "test_x[a-b]"  # a plain id stays readable
    assert file_stem("test_x[a/b]").startswith("test_x[a-b]@")
    for stem in names.values():
        assert len(stem.encode()) <= 150 and "/" not in stem and "\n" not in stem


PARAMETRIZED = f"""
import pytest

@pytest.mark.parametrize("tag", {IDS!r}, ids={IDS!r})
@pytest.mark.assistants_cassette
def test_app(openai_client, tag):
    assert openai_client.beta.threads.create(metadata={{"tag": tag[:500]}}).object == "thread"
"""


def test_parametrized_ids_that_a_file_name_cannot_hold_get_a_cassette_each(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_app=PARAMETRIZED)
    pytester.runpytest("--record").assert_outcomes(passed=len(IDS))
    files = list((pytester.path / "cassettes" / "test_app").iterdir())
    assert len(files) == len(IDS)
    pytester.runpytest().assert_outcomes(passed=len(IDS))


def test_a_very_long_test_name_records_and_replays(pytester: pytest.Pytester) -> None:
    name = "test_" + "x" * 400
    pytester.makepyfile(
        test_app=f"""
import pytest

@pytest.mark.assistants_cassette
def {name}(openai_client):
    openai_client.beta.threads.create()
"""
    )
    pytester.runpytest("--record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_two_tests_that_would_share_a_cassette_fail_naming_both(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette(name="shared")
def test_one(openai_client):
    openai_client.beta.threads.create()

@pytest.mark.assistants_cassette(name="shared")
def test_two(openai_client):
    openai_client.beta.threads.create()
"""
    )
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*shared.yaml: test_app.py::test_two and test_app.py::test_one would share this "
            "cassette (*); give one of them its own with @pytest.mark.assistants_cassette(name=...)"
        ]
    )


def test_a_cassette_of_the_first_release_still_replays(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.parametrize("n", ["a b"])
@pytest.mark.assistants_cassette
def test_app(openai_client, n):
    openai_client.beta.threads.create()
"""
    )
    pytester.runpytest("--record").assert_outcomes(passed=1)
    folder = pytester.path / "cassettes" / "test_app"
    (recorded,) = folder.iterdir()
    recorded.rename(folder / (legacy_stem("test_app[a b]") + ".yaml"))  # the old name
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.slow
@pytest.mark.parametrize("umask", [0o027, 0o002])  # others lose read, group gains write
def test_cassettes_are_written_with_the_users_umask(pytester: pytest.Pytester, umask: int) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create()
"""
    )
    old = os.umask(umask)
    try:
        pytester.runpytest_subprocess("--record").assert_outcomes(passed=1)
    finally:
        os.umask(old)
    cassette = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    assert stat.S_IMODE(cassette.stat().st_mode) == 0o666 & ~umask


UNWRITABLE = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={"take": "new"})
"""


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_passing_take_that_cannot_be_written_is_saved_elsewhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _assert_take_saved_elsewhere(
        pytester, monkeypatch, tmp_path, lambda folder: folder.chmod(0o555)
    )


def test_a_take_the_file_system_refuses_is_saved_elsewhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A full disk (or any refusal) as root sees it: the write itself fails."""
    pytester.makeconftest(
        """
import errno
import os
from harness.cassette import storage

real = storage.write_atomic

def refuse(path, text):
    if "cassettes" in str(path) and "takes" not in str(path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return real(path, text)

def pytest_configure(config):
    storage.write_atomic = refuse  # this whole run has a full disk

def pytest_unconfigure(config):
    storage.write_atomic = real
"""
    )
    _assert_take_saved_elsewhere(pytester, monkeypatch, tmp_path, lambda folder: None)


def _assert_take_saved_elsewhere(pytester, monkeypatch, tmp_path, spoil) -> None:  # type: ignore[no-untyped-def]
    # The run is in this process: its temporary folder is set as TMPDIR would set it.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pytester.makepyfile(test_app=UNWRITABLE)
    folder = pytester.path / "cassettes" / "test_app"
    folder.mkdir(parents=True)
    spoil(folder)
    try:
        result = pytester.runpytest("--record")
    finally:
        folder.chmod(0o755)
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str()
    assert "Traceback" not in output
    saved = list(tmp_path.glob("harness-takes-*/test_app-*.yaml"))
    assert len(saved) == 1, output
    assert '"take": "new"' in saved[0].read_text()
    assert str(saved[0]) in output and "test_app.yaml" in output


@pytest.mark.slow
def test_a_lock_folder_taken_by_another_user_does_not_stop_recording(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    squatted = tmp_path / f"harness-locks-{os.getuid()}"
    squatted.mkdir()
    if os.geteuid() == 0:
        os.chown(squatted, 65534, 65534)  # nobody's now
    else:
        squatted.chmod(0o500)  # ours, but unusable
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    pytester.makepyfile(test_app=UNWRITABLE)
    pytester.runpytest_subprocess("--record").assert_outcomes(passed=1)
    assert (pytester.path / "cassettes" / "test_app" / "test_app.yaml").exists()


def test_temporary_files_of_a_killed_writer_are_swept_by_the_next_run(
    pytester: pytest.Pytester,
) -> None:
    import subprocess
    import sys

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    pytester.makepyfile(test_app=UNWRITABLE)
    folder = pytester.path / "cassettes" / "test_app"
    folder.mkdir(parents=True)
    # What a writer killed mid-write leaves: of a cassette, and of a failed take.
    stale = [
        folder / f".test_app.yaml.{pid}.abc123xy.tmp",
        folder / f".test_app.failed.yaml.{pid}.k9z8y7x6.tmp",
        folder / f".other_test.yaml.{pid}.q1w2e3r4.tmp",
    ]
    for path in stale:
        path.write_text("half a take")
    alive = folder / f".test_app.yaml.{os.getpid()}.live0000.tmp"  # a writer still at work
    alive.write_text("being written")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    assert not any(path.exists() for path in stale)
    assert alive.exists()


def test_a_secret_in_a_test_id_never_reaches_a_file_name(pytester: pytest.Pytester) -> None:
    import secrets

    key = "sk-proj-" + secrets.token_hex(20)
    pytester.makepyfile(
        test_app=f"""
import pytest

@pytest.mark.parametrize("key", [{key!r}])
@pytest.mark.assistants_cassette
def test_app(openai_client, key):
    openai_client.beta.threads.create()
"""
    )
    pytester.runpytest("--record").assert_outcomes(passed=1)
    names = [p.name for p in (pytester.path / "cassettes").rglob("*")]
    assert names and not any(key[:12] in name or key[-12:] in name for name in names)
    assert not any(
        key[3:15] in p.read_text() for p in (pytester.path / "cassettes").rglob("*.yaml")
    )
    pytester.runpytest().assert_outcomes(passed=1)


SHARED = """
import pytest

@pytest.mark.assistants_cassette(name="shared")
def test_one(openai_client):
    openai_client.beta.threads.create(metadata={"by": "one"})

@pytest.mark.assistants_cassette(name="shared")
def test_two(openai_client):
    openai_client.beta.threads.create(metadata={"by": "two"})
"""


@pytest.mark.slow
def test_two_tests_sharing_a_cassette_under_xdist_fail_naming_both(
    pytester: pytest.Pytester,
) -> None:
    """Each xdist worker saw only its own test: the claim is checked across workers."""
    pytester.makepyfile(test_app=SHARED)
    result = pytester.runpytest("--record", "-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*shared.yaml: test_app.py::test_* and test_app.py::test_* would share*"]
    )
    text = (pytester.path / "cassettes" / "test_app" / "shared.yaml").read_text()
    assert text.count('"by"') >= 1 and not ('"one"' in text and '"two"' in text)


def test_test_ids_differing_only_in_case_fail_naming_both(pytester: pytest.Pytester) -> None:
    """`test[A].yaml` and `test[a].yaml` are one file on macOS and Windows."""
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.parametrize("tag", ["A", "a"])
@pytest.mark.assistants_cassette
def test_app(openai_client, tag):
    openai_client.beta.threads.create(metadata={"tag": tag})
"""
    )
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_app?a?.yaml: test_app.py::test_app[[]a] and test_app.py::test_app[[]A] would share*"
        ]
    )


def test_record_never_overwrites_a_cassette_of_a_newer_format(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=UNWRITABLE)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    path = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    newer = path.read_text().replace("\nformat: 1\n", "\nformat: 2\n")
    path.write_text(newer)
    for args in (["--record"], ["--record-mode=all"], ["--record-mode=new_episodes"]):
        result = pytester.runpytest(*args)
        result.assert_outcomes(errors=1)
        result.stdout.fnmatch_lines(
            ["*test_app.yaml: written in cassette format 2, newer than this harness writes (1)*"]
        )
        assert "recorded (new)" not in result.stdout.str()
        assert path.read_text() == newer


def test_the_kept_take_folder_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from harness.cassette import Cassette, write_cassette
    from harness.errors import CassetteWriteError

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    squatted = tmp_path / f"harness-takes-{os.getuid()}"
    squatted.mkdir()
    squatted.chmod(0o777)  # anyone may add, swap or read takes there
    with pytest.raises(CassetteWriteError) as caught:
        write_cassette(blocked / "take.yaml", Cassette(meta={}, interactions=[]))
    assert list(squatted.iterdir()) == []
    (saved,) = (tmp_path / ".harness-takes").iterdir()
    assert str(saved) in str(caught.value)
    squatted.rmdir()
    with pytest.raises(CassetteWriteError):
        write_cassette(blocked / "take.yaml", Cassette(meta={}, interactions=[]))
    assert stat.S_IMODE(squatted.stat().st_mode) == 0o700
    assert len(list(squatted.iterdir())) == 1
