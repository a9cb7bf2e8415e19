"""Authoring recordings with the embedded emulator: per-test brains, hints, reproducible files.

The app under test is a small weather app that builds its own `OpenAI()` from
the environment and answers with what its `get_weather` function returned,
the way a user's app would.
"""

from __future__ import annotations

import pytest

WEATHER_APP = """
import json
import openai

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def ask_weather(question):
    client = openai.OpenAI()
    assistant = client.beta.assistants.create(model="gpt-4o", name="Weather", tools=[WEATHER])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": question}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    while run.status == "requires_action":
        outputs = [
            {"tool_call_id": call.id, "output": json.dumps({"temp_c": 18})}
            for call in run.required_action.submit_tool_outputs.tool_calls
        ]
        run = client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=outputs
        )
    return client.beta.threads.messages.list(thread.id).data[0].content[0].text.value
"""

BRAIN_FILE = """
- match: {tools: [get_weather]}
  actions:
    - call: {name: get_weather, arguments: {city: Paris}}
    - say: "In Paris: {{outputs.get_weather}}"
"""

INLINE_RULES = [
    {
        "match": {"tools": ["get_weather"]},
        "actions": [
            {"call": {"name": "get_weather", "arguments": {"city": "Paris"}}},
            {"say": "Inline: {{outputs.get_weather}}"},
        ],
    }
]


def _project(pytester: pytest.Pytester, tests: str) -> None:
    pytester.makepyfile(weather_app=WEATHER_APP, test_weather=tests)
    pytester.path.joinpath("weather_brain.yaml").write_text(BRAIN_FILE)


def _record_then_replay(pytester: pytest.Pytester, passed: int) -> pytest.RunResult:
    recorded = pytester.runpytest("--record")
    recorded.assert_outcomes(passed=passed)
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=passed)
    return recorded


def test_a_brain_file_named_by_the_marker_decides_the_run(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette(brain="weather_brain.yaml")
def test_paris():
    assert ask_weather("What's the weather in Paris?") == 'In Paris: {"temp_c": 18}'
""",
    )
    _record_then_replay(pytester, passed=1)


def test_rules_given_inline_to_the_marker(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        f"""
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette(brain={INLINE_RULES!r})
def test_paris():
    assert ask_weather("Paris?") == 'Inline: {{"temp_c": 18}}'
""",
    )
    _record_then_replay(pytester, passed=1)


def test_rules_built_in_code_through_the_emulator_fixture(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        f"""
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette
def test_paris(assistants_emulator):
    assistants_emulator.set_brain({INLINE_RULES!r})
    assert assistants_emulator.base_url.startswith("http://127.0.0.1:")
    assert ask_weather("Paris?") == 'Inline: {{"temp_c": 18}}'
""",
    )
    _record_then_replay(pytester, passed=1)


def test_ini_default_brain_and_the_config_fixture(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette
def test_default_from_ini():
    assert ask_weather("Paris?") == 'In Paris: {"temp_c": 18}'

class TestOverridden:
    @pytest.fixture
    def assistants_config(self):
        return {"brain": [{"actions": [{"say": "from the fixture"}]}]}

    @pytest.mark.assistants_cassette
    def test_fixture_brain(self):
        assert ask_weather("Paris?") == "from the fixture"

    @pytest.mark.assistants_cassette(brain=[{"actions": [{"say": "marker wins"}]}])
    def test_marker_beats_fixture(self):
        assert ask_weather("Paris?") == "marker wins"
""",
    )
    pytester.makeini("[pytest]\nassistants_brain = weather_brain.yaml\n")
    _record_then_replay(pytester, passed=3)


LEAK_TESTS = """
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette
def test_a(assistants_emulator):
    assistants_emulator.set_brain([{"actions": [{"say": "FIXED BY TEST A"}]}])
    assert ask_weather("Paris?") == "FIXED BY TEST A"

@pytest.mark.assistants_cassette
def test_b():
    assert ask_weather("Paris?") == 'You said: "Paris?"'
"""


@pytest.mark.parametrize(
    "order",
    [
        ["test_weather.py::test_a", "test_weather.py::test_b"],
        ["test_weather.py::test_b", "test_weather.py::test_a"],
    ],
    ids=["a-then-b", "b-then-a"],
)
def test_no_test_sees_another_tests_brain(pytester: pytest.Pytester, order: list[str]) -> None:
    _project(pytester, LEAK_TESTS)
    pytester.runpytest("--record", *order).assert_outcomes(passed=2)


@pytest.mark.slow
def test_no_brain_leaks_under_xdist(pytester: pytest.Pytester) -> None:
    _project(pytester, LEAK_TESTS)
    # In process: the xdist workers are fresh processes already.
    pytester.runpytest("--record", "-n", "2", "-p", "xdist").assert_outcomes(passed=2)


def test_a_run_with_function_tools_and_no_rule_says_so_once(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette
def test_paris():
    ask_weather("What's the weather in Paris?")
    ask_weather("And in Rome?")
""",
    )
    result = pytester.runpytest("--record")
    result.assert_outcomes(passed=1)
    output = result.stdout.str()
    assert output.count("no brain rule matched") == 1
    result.stdout.re_match_lines(
        [
            r"note: a run had function tools \[get_weather\] but no brain rule matched.*"
            r"\(test_weather.py::test_paris\)$",
            r"- match: \{tools: \[get_weather\]\}$",
            r'  actions: \[\{call: \{name: get_weather, arguments: \{"city": "example"\}\}\}',
        ]
    )
    # The rule it shows, pasted as it is, makes the run call the function.
    rule = "\n".join(
        line for line in result.stdout.lines if line.startswith(("- match:", "  actions:"))
    )
    pytester.path.joinpath("suggested.yaml").write_text(rule)
    pytester.makepyfile(
        test_weather="""
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette(brain="suggested.yaml")
def test_paris():
    assert ask_weather("Paris?") == '{"temp_c": 18}'
"""
    )
    again = pytester.runpytest("--record")
    again.assert_outcomes(passed=1)
    assert "no brain rule matched" not in again.stdout.str()


REPRODUCIBLE = """
import pytest
from weather_app import ask_weather

@pytest.mark.assistants_cassette(brain="weather_brain.yaml")
def test_paris():
    ask_weather("What's the weather in Paris?")

@pytest.mark.assistants_cassette
def test_streamed(openai_client):
    assistant = openai_client.beta.assistants.create(model="gpt-4o", name="Tutor")
    thread = openai_client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    with openai_client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as s:
        s.until_done()
"""


def test_re_recording_from_scratch_writes_byte_identical_files(pytester: pytest.Pytester) -> None:
    _project(pytester, REPRODUCIBLE)
    pytester.runpytest("--record").assert_outcomes(passed=2)
    folder = pytester.path / "cassettes" / "test_weather"
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    for path in folder.iterdir():
        path.unlink()
    pytester.runpytest("--record").assert_outcomes(passed=2)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
    assert len(first) == 2


def test_an_unchanged_live_take_leaves_the_file_byte_identical(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.echo_server import echo_server

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef")
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    thread = openai_client.beta.threads.create(metadata={"user": "ada"})
    openai_client.beta.threads.retrieve(thread.id)
"""
    )
    cassette = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    with echo_server(random_ids=True) as (base_url, seen):
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        pytester.runpytest("--record", "--record-backend=live").assert_outcomes(passed=1)
        before = cassette.read_bytes()
        again = pytester.runpytest("--record", "--record-backend=live")
        again.assert_outcomes(passed=1)
        again.stdout.fnmatch_lines(["*0 new, 0 rewritten, 1 unchanged, 0 kept failed*"])
        assert cassette.read_bytes() == before
        assert len(seen) == 4, "the server answered both takes, with other ids the second time"

        pytester.makepyfile(
            test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    thread = openai_client.beta.threads.create(metadata={"user": "grace"})
    openai_client.beta.threads.retrieve(thread.id)
"""
        )
        changed = pytester.runpytest("--record", "--record-backend=live")
        changed.stdout.fnmatch_lines(["*0 new, 1 rewritten, 0 unchanged, 0 kept failed*"])
        assert '"grace"' in cassette.read_text()


def test_a_test_that_makes_no_request_records_an_empty_cassette(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
import pytest

@pytest.mark.assistants_cassette
def test_nothing():
    pass
"""
    )
    recorded = pytester.runpytest("--record")
    recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_app" / "test_nothing.yaml"
    assert "interactions: []" in cassette.read_text()
    pytester.runpytest().assert_outcomes(passed=1)


def test_ci_never_records_unless_opted_in(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = """
import pytest

@pytest.mark.assistants_cassette
def test_app(openai_client):
    openai_client.beta.threads.create(metadata={{"n": "{n}"}})
"""
    pytester.makepyfile(test_app=app.format(n=1))
    pytester.runpytest("--record").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_app" / "test_app.yaml"
    before = cassette.read_bytes()
    pytester.makepyfile(test_app=app.format(n=2))
    monkeypatch.setenv("CI", "true")
    for flags in (["--record"], ["--record-mode=all"], ["--record-mode=new_episodes"]):
        result = pytester.runpytest(*flags)
        result.assert_outcomes(failed=1)  # replayed: the changed request is not recorded
        result.stdout.fnmatch_lines(
            [
                "assistants: CI=true, so recording is off*",
                "*No recorded response for POST /threads*",
            ]
        )
        assert cassette.read_bytes() == before, flags
        assert not cassette.with_name("test_app.failed.yaml").exists()
    monkeypatch.setenv("HARNESS_RECORD_IN_CI", "1")
    pytester.runpytest("--record").assert_outcomes(passed=1)
    assert '"n": "2"' in cassette.read_text()
