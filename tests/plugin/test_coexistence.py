"""The harness and pytest-recording load together, in either order.

Both want `--record-mode`; registering it twice crashes pytest, so the
harness shares pytest-recording's option whenever that plugin is active.
"""

from __future__ import annotations

import sys

import pytest

TESTS = """
import urllib.request
import pytest

@pytest.mark.assistants_cassette
def test_ours(openai_client):
    assert openai_client.beta.threads.create().id == "obj_echo"

@pytest.mark.vcr
def test_theirs(echo_url):
    with urllib.request.urlopen(echo_url + "/ping") as response:
        assert response.status == 200
"""

CONFTEST = """
import os
import pytest

@pytest.fixture
def echo_url():
    return os.environ["OPENAI_BASE_URL"]
"""

ORDERS = {
    "autoload": [],
    "harness first": ["-p", "harness.plugin", "-p", "pytest_recording.plugin"],
    "pytest-recording first": ["-p", "pytest_recording.plugin", "-p", "harness.plugin"],
}


def _run(
    pytester: pytest.Pytester, order: str, *args: str, monkeypatch: pytest.MonkeyPatch
) -> pytest.RunResult:
    """Run pytest in this process with the plugins loaded in `order` (each run registers its
    plugins afresh, in the order of its `-p`s). With autoloading off, the harness learns
    from the command line whether pytest-recording will load: `sys.argv` is set to the
    command line this run would have had."""
    command = [*ORDERS[order], *args]
    with monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["pytest", *command])
        return pytester.runpytest(*command)


@pytest.mark.parametrize("order", ["autoload"])  # every load order: see the test below
def test_both_plugins_record_and_replay(
    pytester: pytest.Pytester, echo_backend, monkeypatch, order
) -> None:
    _, seen = echo_backend
    if ORDERS[order]:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_app=TESTS)
    result = _run(
        pytester, order, "--record-mode=once", "--record-backend=live", monkeypatch=monkeypatch
    )
    result.assert_outcomes(passed=2)
    assert len(seen) == 2
    ours = pytester.path / "cassettes" / "test_app" / "test_ours.yaml"
    theirs = pytester.path / "cassettes" / "test_app" / "test_theirs.yaml"
    assert "format: 1" in ours.read_text()
    assert "format: 1" not in theirs.read_text(), "pytest-recording keeps its own format"
    assert "test_ours" not in theirs.read_text() and "/ping" not in ours.read_text()

    seen.clear()
    result = _run(pytester, order, "--record-mode=none", "--block-network", monkeypatch=monkeypatch)
    result.assert_outcomes(passed=2)
    assert seen == []


def test_rewrite_means_all(pytester: pytest.Pytester, echo_backend) -> None:
    _, seen = echo_backend
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_app=TESTS)
    for _ in range(2):
        pytester.runpytest(
            "--record-mode=rewrite", "--record-backend=live", "-k", "ours"
        ).assert_outcomes(passed=1, deselected=1)
    assert len(seen) == 2


def test_without_pytest_recording_the_harness_owns_record_mode(
    pytester: pytest.Pytester, echo_backend
) -> None:
    pytester.makepyfile(test_app=TESTS)
    result = pytester.runpytest(
        "-p", "no:recording", "--record-mode=once", "--record-backend=live", "-k", "ours"
    )
    result.assert_outcomes(passed=1, deselected=1)
    help_text = pytester.runpytest("-p", "no:recording", "--help").stdout.str()
    assert help_text.count("--record-mode=") == 1
    assert "--record-backend=" in help_text


RECORD_FLAG_TESTS = """
import urllib.request
import pytest

@pytest.mark.vcr
def test_theirs(echo_url):
    with urllib.request.urlopen(echo_url + "/ping") as response:
        assert response.status == 200

@pytest.mark.assistants_cassette
def test_ours(openai_client):
    assert openai_client.beta.threads.create().object == "thread"
"""


@pytest.mark.parametrize("order", ORDERS)
def test_record_flag_records_vcr_tests_and_block_network_spares_the_emulator(
    pytester: pytest.Pytester, echo_backend, monkeypatch, order
) -> None:
    _, seen = echo_backend
    if ORDERS[order]:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_app=RECORD_FLAG_TESTS)
    # `--record` alone: pytest-recording records its test too; `--block-network` does not
    # stop the harness from recording against its embedded emulator.
    result = _run(pytester, order, "--record", "--block-network", monkeypatch=monkeypatch)
    result.assert_outcomes(passed=2)
    assert len(seen) == 1, "pytest-recording's test reached the server while recording"
    theirs = pytester.path / "cassettes" / "test_app" / "test_theirs.yaml"
    ours = pytester.path / "cassettes" / "test_app" / "test_ours.yaml"
    assert theirs.exists() and ours.exists()
    assert '"backend": "emulator"' in ours.read_text()
    seen.clear()
    _run(pytester, order, "--block-network", monkeypatch=monkeypatch).assert_outcomes(passed=2)
    assert seen == []
