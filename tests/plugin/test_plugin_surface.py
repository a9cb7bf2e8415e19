"""The plugin's surface: overridable fixtures, scenario folders, warnings, messages, imports."""

from __future__ import annotations

import pytest

APP = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    thread = openai_client.beta.threads.create(metadata={"user": "ada"})
    openai_client.beta.threads.messages.create(thread.id, role="user", content="hello")
"""


def test_cassette_folder_is_a_fixture_a_directory_can_override(pytester: pytest.Pytester) -> None:
    pytester.mkdir("special")
    pytester.path.joinpath("special", "conftest.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture\n"
        "def assistants_cassette_dir(tmp_path_factory, request):\n"
        "    return request.config.rootpath / 'special_cassettes'\n"
    )
    pytester.path.joinpath("special", "test_special.py").write_text(APP)
    pytester.makepyfile(test_plain=APP)
    pytester.runpytest("--record").assert_outcomes(passed=2)
    assert (
        pytester.path / "special_cassettes" / "special" / "test_special" / "test_app.yaml"
    ).exists()
    assert (pytester.path / "cassettes" / "test_plain" / "test_app.yaml").exists()
    pytester.runpytest().assert_outcomes(passed=2)


def test_an_unknown_option_in_assistants_config_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef assistants_config():\n    return {'brian': []}\n"
    )
    pytester.makepyfile(test_app=APP)
    result = pytester.runpytest("--record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_app.py::test_app: assistants_config: unknown option 'brian'; choose from name, "
            "skip_sleep, brain, strict, parity"
        ]
    )


def test_scenarios_come_only_from_the_configured_folders(pytester: pytest.Pytester) -> None:
    # A project of its own with a `scenarios/` folder of unrelated YAML, and cassettes.
    pytester.mkdir("scenarios")
    pytester.path.joinpath("scenarios", "deploy.yaml").write_text("stages: [build, test]\n")
    pytester.mkdir("cassettes")
    pytester.path.joinpath("cassettes", "broken.yaml").write_text("format: 1\n")
    pytester.makeini("[pytest]\nassistants_scenario_dirs = conversations\n")
    pytester.mkdir("conversations")
    pytester.makepyfile(test_app="def test_plain():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result = pytester.runpytest("cassettes", "scenarios")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "error" not in result.stdout.str().lower()


def test_the_cassette_folder_is_never_collected_as_scenarios(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nassistants_scenario_dirs = cassettes/scenarios\n")
    pytester.mkdir("cassettes")
    pytester.mkdir("cassettes/scenarios")
    pytester.path.joinpath("cassettes", "scenarios", "x.yaml").write_text("format: 1\n")
    result = pytester.runpytest("cassettes")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_sdks_deprecation_warnings_are_hidden_in_marked_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_app=APP)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    quiet = pytester.runpytest("-W", "default")
    quiet.assert_outcomes(passed=1)
    assert "deprecated" not in quiet.stdout.str().lower()
    pytester.makeini("[pytest]\nassistants_filter_deprecations = false\n")
    loud = pytester.runpytest("-W", "default")
    assert loud.parseoutcomes().get("warnings", 0) >= 1
    loud.stdout.fnmatch_lines(["*DeprecationWarning*The Assistants API is deprecated*"])


def test_a_mismatch_compares_only_requests_of_the_same_operation(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_app=APP)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    thread = openai_client.beta.threads.create(metadata={"user": "ada"})
    openai_client.beta.threads.runs.create(thread.id, assistant_id="asst_1")
"""
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "No recorded response for POST /threads/" in output
    assert (
        "The cassette holds no create_run request; it holds: create_message, create_thread."
        in output
    )
    assert "Nearest recorded requests" not in output


@pytest.mark.slow
def test_replay_imports_none_of_the_emulators_dependencies(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=APP)
    pytester.runpytest("--record").assert_outcomes(passed=1)
    pytester.makeconftest(
        """
import sys

def pytest_sessionfinish(session):
    heavy = sorted(m for m in ("starlette", "uvicorn", "bm25s", "numpy", "pypdf", "harness.emulator")
                   if m in sys.modules)
    print("HEAVY", heavy)
"""
    )
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*HEAVY []"])


@pytest.mark.slow
def test_recording_without_the_emulator_extra_names_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_app=APP)
    pytester.makeconftest(
        """
import sys
sys.modules["starlette"] = None  # as if the [emulator] extra were not installed
"""
    )
    result = pytester.runpytest_subprocess("--record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*recording against the embedded emulator needs its extra (starlette is missing): "
            "pip install 'pytest-assistants-harness[[]emulator[]]', or record with --record-backend=live"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_private_hooks_the_harness_needs_exist_in_the_installed_libraries() -> None:
    from harness.adapters import openai_sdk, vcrpy

    assert vcrpy.missing_hooks() == [], "vcrpy changed: replay cannot patch its transports"
    assert openai_sdk.missing_hooks() == [], "openai changed: replay would sleep again"
