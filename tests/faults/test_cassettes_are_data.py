"""A cassette is data, never code (issue 26 §2): a pull request that edits only a cassette,
adding `code_interpreter` to the recorded assistant and runs and a fenced Python block to the
recorded user message, must not make the emulator run that code when a fault overlay hands
the app's retry to it, nor may plain replay."""

from __future__ import annotations

import pytest

APP = """
ASK = "Help me with 3x + 11 = 14."


def tutor(client, attempts=2):
    runs = client.beta.threads.runs
    assistant = client.beta.assistants.create(model="gpt-4o", name="Tutor")
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content=ASK)
    statuses = []
    for _ in range(attempts):
        run = runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
        statuses.append(run.status)
        if run.status == "completed":
            break
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc").data
    steps = runs.steps.list(thread_id=thread.id, run_id=run.id).data
    return statuses, messages, steps
"""


def test_an_edited_cassette_never_makes_the_emulator_run_code(pytester: pytest.Pytester) -> None:
    marker = pytester.path / "pwned"
    pytester.makepyfile(
        tutor_app=APP,
        test_tutor=f"""
import os
import pytest
from tutor_app import tutor

@pytest.mark.assistants_faults("failed@run_1")
def test_tutor(openai_client, assistants_fault):
    statuses, messages, steps = tutor(openai_client)
    assert statuses[-1] == "completed"
    texts = [m.content[0].text.value for m in messages]
    assert not any("PWNED-RAN" in text for text in texts), texts  # what the code prints
    assert [s.type for s in steps] == ["message_creation"], steps
    assert not os.path.exists({str(marker)!r})
""",
    )
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_tutor" / "test_tutor.yaml"
    text = cassette.read_text(encoding="utf-8")
    code = f"print('PW' + 'NED-RAN'); open({str(marker)!r}, 'w').write('x')"
    edited = text.replace('"tools": []', '"tools": [{"type": "code_interpreter"}]').replace(
        '"value": "Help me with 3x + 11 = 14."',
        '"value": "Help me with 3x + 11 = 14.\\n```python\\n'
        + code.replace("'", "\\u0027")
        + '\\n```"',
    )
    assert edited.count("code_interpreter") >= 3 and "NED-RAN" in edited
    cassette.write_text(edited, encoding="utf-8")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not marker.exists()


RESPONSES_APP = """
ASK = "Help me with 3x + 11 = 14."
TOOLS = [{"type": "code_interpreter", "container": {"type": "auto"}}]


def tutor(client, attempts=2):
    conversation = client.conversations.create()
    client.conversations.items.create(
        conversation.id, items=[{"type": "message", "role": "user", "content": ASK}]
    )
    statuses = []
    for _ in range(attempts):
        response = client.responses.create(
            model="gpt-4o",
            conversation=conversation.id,
            background=True,
            input=[{"role": "developer", "content": "Answer the user."}],
            tools=TOOLS,
        )
        while response.status in ("queued", "in_progress"):
            response = client.responses.retrieve(response.id)
        statuses.append(response.status)
        if response.status == "completed":
            break
    return statuses, response
"""


def test_an_edited_responses_cassette_never_makes_the_emulator_run_code(
    pytester: pytest.Pytester,
) -> None:
    # The app offers code_interpreter; the conversation's user message, as the recording shows
    # it, is edited to hold code. After the fault the emulator answers the retry from the
    # learned conversation: with no rule matching, its defaults must not run that code.
    marker = pytester.path / "pwned"
    pytester.makepyfile(
        tutor_app=RESPONSES_APP,
        test_tutor=f"""
import os
import pytest
from tutor_app import tutor

@pytest.mark.assistants_faults("failed@resp_1")
def test_tutor(openai_client, assistants_fault):
    statuses, response = tutor(openai_client)
    assert statuses == (["failed", "completed"] if assistants_fault else ["completed"])
    assert [item.type for item in response.output] == ["message"], response.output
    assert "PWNED-RAN" not in response.output_text
    assert not os.path.exists({str(marker)!r})
""",
    )
    pytester.runpytest("-p", "no:cacheprovider", "--record").assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_tutor" / "test_tutor.yaml"
    text = cassette.read_text(encoding="utf-8")
    code = f"print('PW' + 'NED-RAN'); open({str(marker)!r}, 'w').write('x')"
    edited = text.replace(
        '"text": "Help me with 3x + 11 = 14."',
        '"text": "Help me with 3x + 11 = 14.\\n```python\\n'
        + code.replace("'", "\\u0027")
        + '\\n```"',
    )
    assert "NED-RAN" in edited
    cassette.write_text(edited, encoding="utf-8")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert not marker.exists()
