"""Argument-mutation replay end to end with the installed openai client."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from harness.cassette import format as cassette_format
from harness.fuzz import assert_dispatch_contract, mutate_arguments, pending_calls, replay
from harness.fuzz.profiles import register_profiles
from tests.fuzz._fuzz_data import display_quiz_planted_bug
from tests.fuzz._quiz_conversation import (
    CALL_ID,
    FEEDBACK,
    RECORDED_ARGUMENTS,
    RUN,
    polling_app,
    polling_script,
    record,
    streaming_app,
    streaming_script,
)

register_profiles()
CI = settings(settings.get_profile("ci"), max_examples=25)
FLOWS = {"polling": (polling_app, polling_script), "streaming": (streaming_app, streaming_script)}


def recorded(flow: str) -> Any:
    make_app, script = FLOWS[flow]
    return record(make_app(), script())


def arguments_text(message: str) -> Any:
    line = next(line for line in message.splitlines() if "arguments text" in line)
    return json.loads(json.loads(line.split(":", 1)[1]))


def fragile(tool_calls: Any, handlers: dict[str, Callable[..., Any]]) -> list[dict[str, str]]:
    """A dispatch loop that trusts the model: no try/except around the handler."""
    return [
        {
            "tool_call_id": c.id,
            "output": json.dumps(handlers[c.function.name](**json.loads(c.function.arguments))),
        }
        for c in tool_calls
    ]


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_the_recorded_conversation_replays_unchanged(flow: str) -> None:
    cassette = recorded(flow)
    [call] = pending_calls(cassette)
    assert (call.call_id, call.name, call.run_id) == (CALL_ID, "display_quiz", RUN)
    assert call.arguments == RECORDED_ARGUMENTS
    result = replay(FLOWS[flow][0](), cassette)
    assert result.problem(RUN) is None


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_mutated_arguments_reach_the_handler(flow: str) -> None:
    seen: list[Any] = []

    def handler(**arguments: Any) -> str:
        seen.append(arguments)
        return "ok"

    cassette = mutate_arguments(recorded(flow), CALL_ID, '{"title":"T","questions":[]}')
    # the copy is still a valid cassette file
    assert (
        cassette_format.loads(cassette_format.dumps(cassette)).interactions == cassette.interactions
    )
    result = replay(FLOWS[flow][0]({"display_quiz": handler}), cassette)
    assert result.problem(RUN) is None
    assert seen == [{"title": "T", "questions": []}]


def test_streamed_fragments_carry_the_new_arguments() -> None:
    cassette = mutate_arguments(recorded("streaming"), CALL_ID, '{"title":"T","questions":[]}')
    events = cassette.interactions[0].response.events or ()
    fragments = [
        e["data"]["delta"]["step_details"]["tool_calls"][0]["function"]["arguments"]
        for e in events
        if e["event"] == "thread.run.step.delta"
    ]
    assert fragments == ['{"title":"T","questions":[]}', ""]


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_a_robust_dispatch_loop_survives_every_argument(flow: str) -> None:
    # the seed's loop with the planted-bug handler: the loop turns the crash into an error output
    app = FLOWS[flow][0]({"display_quiz": display_quiz_planted_bug})
    assert_dispatch_contract(app, recorded(flow), settings=CI)


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_a_fragile_dispatch_loop_is_caught_with_shrunk_arguments(
    flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.fuzz._quiz_conversation as conversation

    monkeypatch.setattr(conversation, "dispatch", fragile)
    app = FLOWS[flow][0]({"display_quiz": display_quiz_planted_bug})
    with pytest.raises(AssertionError) as caught:
        assert_dispatch_contract(app, recorded(flow), arguments="valid", settings=CI)
    message = str(caught.value)
    assert (
        "display_quiz.yaml: the app broke when the model called display_quiz "
        "(call_uvJEn0fxM4sgmzek8wahBGLi)" in message
    )
    assert "the app: it raised KeyError: 'choices'" in message
    assert arguments_text(message) == {
        "title": "",
        "questions": [{"question_text": "", "question_type": "MULTIPLE_CHOICE"}],
    }


def test_a_non_string_output_is_rejected_like_the_api_does() -> None:
    def app(client: Any) -> None:
        current = client.beta.threads.create_and_run(
            assistant_id="asst_qvXm",
            thread={"messages": [{"role": "user", "content": conversation_prompt()}]},
        )
        while current.status != "requires_action":
            current = client.beta.threads.runs.retrieve(current.id, thread_id=current.thread_id)
        [call] = current.required_action.submit_tool_outputs.tool_calls
        client.beta.threads.runs.submit_tool_outputs(
            run_id=current.id,
            thread_id=current.thread_id,
            tool_outputs=[
                {
                    "tool_call_id": call.id,
                    "output": json.loads(call.function.arguments)["questions"],
                }
            ],
        )

    with pytest.raises(AssertionError) as caught:
        assert_dispatch_contract(app, recorded("polling"), arguments="valid", settings=CI)
    assert (
        "the API would reject its tool outputs: tool_outputs[0].output must be a string, got list"
        in str(caught.value)
    )


def conversation_prompt() -> str:
    from tests.fuzz._quiz_conversation import PROMPT

    return PROMPT


def test_an_app_that_stops_early_is_caught() -> None:
    def app(client: Any) -> None:
        client.beta.threads.create_and_run(
            assistant_id="asst_qvXm",
            thread={"messages": [{"role": "user", "content": conversation_prompt()}]},
        )

    with pytest.raises(AssertionError, match="never submitted tool outputs"):
        assert_dispatch_contract(app, recorded("polling"), arguments="valid", settings=CI)


def test_feedback_still_reaches_the_app() -> None:
    assert replay(polling_app(), recorded("polling")).problem(RUN) is None
    assert polling_app()  # the app returns the recorded feedback
    assert FEEDBACK


def test_the_stream_accumulates_to_the_new_arguments_exactly() -> None:
    seen: list[str] = []

    def app(client: Any) -> None:
        with client.beta.threads.create_and_run_stream(
            assistant_id="asst_qvXm",
            thread={"messages": [{"role": "user", "content": conversation_prompt()}]},
        ) as stream:
            stream.until_done()
            [step] = stream.get_final_run_steps()
            seen.append(step.step_details.tool_calls[0].function.arguments)

    cassette = mutate_arguments(recorded("streaming"), CALL_ID, '{"title":"T","questions":[]}')
    replay(app, cassette)
    assert seen == ['{"title":"T","questions":[]}']


def env_built(
    app_factory: Callable[..., Callable[[Any], Any]], **kwargs: Any
) -> Callable[[Any], Any]:
    """The same app, but it builds its own `OpenAI()` from the environment, as most apps do."""
    inner = app_factory(**kwargs)

    def app(_client: Any) -> Any:
        import openai

        return inner(openai.OpenAI())

    return app


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_an_app_that_builds_its_own_client_is_fuzzed_too(
    flow: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.fuzz._quiz_conversation as conversation

    make_app, _ = FLOWS[flow]
    assert_dispatch_contract(env_built(make_app), recorded(flow), settings=CI)
    monkeypatch.setattr(conversation, "dispatch", fragile)
    app = env_built(make_app, handlers={"display_quiz": display_quiz_planted_bug})
    with pytest.raises(AssertionError) as caught:
        assert_dispatch_contract(app, recorded(flow), arguments="valid", settings=CI)
    assert "the app broke when the model called display_quiz" in str(caught.value)
    assert "the app: it raised KeyError: 'choices'" in str(caught.value)


def test_an_app_whose_setup_is_broken_is_told_so_not_blamed_on_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def app(_client: Any) -> None:
        import openai

        openai.OpenAI(api_key=None)  # the app's own configuration mistake

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(AssertionError) as caught:
        assert_dispatch_contract(app, recorded("polling"), settings=CI)
    message = str(caught.value)
    assert "fails on the recorded conversation itself, before any arguments were changed" in message
    assert "its setup is at fault" in message
    assert "shrunk" not in message


def test_mutation_replay_raises_no_sdk_deprecation_warning_in_an_unmarked_test() -> None:
    import warnings

    app, cassette = polling_app(), recorded("polling")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert_dispatch_contract(app, cassette, arguments="valid", settings=CI)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert not any("Assistants API is deprecated" in str(w.message) for w in deprecations)
