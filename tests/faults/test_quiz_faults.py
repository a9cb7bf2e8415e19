import json
from pathlib import Path

import pytest

from harness.scenarios import load_scenario
from scenarios.handlers import display_quiz

QUIZ = load_scenario(Path("scenarios/function_quiz.yaml"))  # the seed's quiz: assistant, brain
ASK = "Make a quiz with 2 questions: One open ended, one multiple choice. Then, give me feedback."


def answer(call):
    try:
        return json.dumps(display_quiz(**json.loads(call.function.arguments)))
    except (ValueError, TypeError) as exc:  # arguments the model got wrong
        return json.dumps({"error": f"bad arguments: {exc}"})


def quiz_app(client):
    """The seed's quiz flow; a run that does not complete is tried once more."""
    runs = client.beta.threads.runs
    assistant = client.beta.assistants.create(**QUIZ.assistant)
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content=ASK)
    for _ in range(2):
        run = runs.create(thread_id=thread.id, assistant_id=assistant.id)
        run = runs.poll(run.id, thread_id=thread.id)
        while run.status == "requires_action":
            calls = run.required_action.submit_tool_outputs.tool_calls
            outputs = [{"tool_call_id": c.id, "output": answer(c)} for c in calls]
            run = runs.submit_tool_outputs_and_poll(
                run_id=run.id, thread_id=thread.id, tool_outputs=outputs
            )
        if run.status == "completed":
            break
    return run, client.beta.threads.messages.list(thread.id, order="asc").data


@pytest.mark.assistants_cassette(brain=QUIZ.brain)
@pytest.mark.assistants_faults(faults="each")
def test_quiz_app_recovers(openai_client, assistants_fault):
    run, messages = quiz_app(openai_client)
    assert run.status == "completed", assistants_fault
    assert messages[-1].content[0].text.value.startswith("Here is the feedback")
