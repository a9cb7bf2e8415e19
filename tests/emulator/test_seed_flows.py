"""The seed walkthrough's flows (DESIGN.md scenarios 1-6) through the unmodified openai SDK."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.emulator.helpers import FIB_RULES, QUIZ_FUNCTION, QUIZ_RULES

MATH = "You are a personal math tutor. Answer questions briefly, in a sentence or less."


def wait_on_run(client: Any, run: Any, thread: Any) -> Any:
    # the seed's own polling loop (with a shorter sleep)
    while run.status in ("queued", "in_progress"):
        run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
        time.sleep(0.01)
    return run


def math_tutor(client: Any) -> Any:
    return client.beta.assistants.create(name="Math Tutor", instructions=MATH, model="gpt-4o")


def submit_message(client: Any, assistant_id: str, thread: Any, text: str) -> Any:
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content=text)
    return client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id)


def test_math_tutor_polling_and_desc_listing(client: Any) -> None:
    assistant = math_tutor(client)
    assert assistant.id.startswith("asst_") and assistant.object == "assistant"
    assert assistant.temperature == 1.0 and assistant.response_format == "auto"
    thread = client.beta.threads.create()
    assert thread.id.startswith("thread_")
    question = "I need to solve the equation `3x + 11 = 14`. Can you help me?"
    message = client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content=question
    )
    assert message.id.startswith("msg_") and message.run_id is None and message.assistant_id is None
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "queued" and run.expires_at == run.created_at + 600
    assert run.usage is None and run.started_at is None and run.instructions == MATH
    assert run.truncation_strategy.type == "auto" and run.tool_choice == "auto"
    run = wait_on_run(client, run, thread)
    assert run.status == "completed"
    assert run.expires_at is None and run.started_at is not None and run.completed_at is not None
    assert (
        run.usage is not None
        and run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens
    )
    messages = client.beta.threads.messages.list(thread_id=thread.id)
    roles = [m.role for m in messages.data]
    assert roles == ["assistant", "user"]  # desc: newest first
    reply = messages.data[0]
    assert reply.run_id == run.id and reply.assistant_id == assistant.id
    assert question in reply.content[0].text.value
    assert (
        messages.first_id == reply.id and messages.last_id == message.id and not messages.has_more
    )


def test_follow_up_listed_asc_after_the_user_message(client: Any) -> None:
    assistant = math_tutor(client)
    thread = client.beta.threads.create()
    wait_on_run(client, submit_message(client, assistant.id, thread, "Solve 3x + 11 = 14"), thread)
    message = client.beta.threads.messages.create(
        thread_id=thread.id, role="user", content="Could you explain this to me?"
    )
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    wait_on_run(client, run, thread)
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc", after=message.id)
    assert [m.role for m in messages.data] == ["assistant"]
    assert messages.data[0].run_id == run.id
    assert "Could you explain this to me?" in messages.data[0].content[0].text.value


def test_three_concurrent_threads_then_a_fourth_run(client: Any) -> None:
    assistant = math_tutor(client)
    inputs = [
        "I need to solve the equation `3x + 11 = 14`. Can you help me?",
        "Could you explain linear algebra to me?",
        "I don't like math. What can I do?",
    ]
    pairs = []
    for text in inputs:
        thread = client.beta.threads.create()
        pairs.append((thread, submit_message(client, assistant.id, thread, text)))
    for (thread, run), text in zip(pairs, inputs, strict=True):
        assert wait_on_run(client, run, thread).status == "completed"
        messages = list(client.beta.threads.messages.list(thread_id=thread.id, order="asc"))
        assert messages[0].content[0].text.value == text
        assert len(messages) == 2
    thread3 = pairs[2][0]
    run4 = wait_on_run(client, submit_message(client, assistant.id, thread3, "Thank you!"), thread3)
    assert run4.status == "completed"
    texts = [
        m.content[0].text.value
        for m in client.beta.threads.messages.list(thread_id=thread3.id, order="asc")
    ]
    assert len(texts) == 4 and texts[2] == "Thank you!" and "Thank you!" in texts[3]


def test_code_interpreter_fibonacci_with_steps_asc(client: Any, emulator: Any) -> None:
    emulator.set_brain(FIB_RULES)
    assistant = math_tutor(client)
    assistant = client.beta.assistants.update(assistant.id, tools=[{"type": "code_interpreter"}])
    assert assistant.tools[0].type == "code_interpreter"
    assert assistant.tool_resources.code_interpreter.file_ids == []
    thread = client.beta.threads.create()
    run = submit_message(
        client, assistant.id, thread, "Generate the first 20 fibbonaci numbers with code."
    )
    run = wait_on_run(client, run, thread)
    assert run.status == "completed"
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc")
    assert [s.step_details.type for s in steps.data] == ["tool_calls", "message_creation"]
    assert all(s.status == "completed" and s.usage is not None for s in steps.data)
    call = steps.data[0].step_details.tool_calls[0]
    assert call.type == "code_interpreter" and call.id.startswith("call_")
    assert call.code_interpreter.input.startswith("def generate_fibonacci")
    logs = call.code_interpreter.outputs[0].logs
    assert "4181" in logs and logs.startswith("[0, 1, 1, 2, 3, 5")
    message_id = steps.data[1].step_details.message_creation.message_id
    reply = client.beta.threads.messages.retrieve(thread_id=thread.id, message_id=message_id)
    assert "2584, 4181]" in reply.content[0].text.value
    one = client.beta.threads.runs.steps.retrieve(
        thread_id=thread.id, run_id=run.id, step_id=steps.data[0].id
    )
    assert one.id == steps.data[0].id


def test_file_search_upload_store_attach_cite_delete(client: Any, tmp_path: Any) -> None:
    paper = tmp_path / "language_models.md"
    paper.write_text(
        "# Language Models are Unsupervised Multitask Learners\n\n"
        "Natural language processing tasks are typically approached with supervised learning. "
        "We demonstrate that language models begin to learn these tasks without any explicit "
        "supervision when trained on a new dataset of millions of webpages called WebText.\n\n"
        "The capacity of the language model is essential to the success of zero-shot task transfer. "
        "Our largest model, GPT-2, is a 1.5B parameter Transformer.\n",
        encoding="utf-8",
    )
    with paper.open("rb") as fh:
        file = client.files.create(file=fh, purpose="assistants")
    assert (
        file.id.startswith("file-")
        and file.bytes == paper.stat().st_size
        and file.purpose == "assistants"
    )
    store = client.vector_stores.create(name="language_models_are_unsupervised_multitask_learners")
    assert store.id.startswith("vs_")
    vs_file = client.vector_stores.files.create_and_poll(vector_store_id=store.id, file_id=file.id)
    assert vs_file.status == "completed" and vs_file.usage_bytes > 0
    assistant = math_tutor(client)
    assistant = client.beta.assistants.update(
        assistant.id,
        tools=[{"type": "code_interpreter"}, {"type": "file_search"}],
        tool_resources={
            "file_search": {"vector_store_ids": [store.id]},
            "code_interpreter": {"file_ids": [file.id]},
        },
    )
    assert assistant.tools[1].file_search.ranking_options.ranker == "default_2024_08_21"
    assert assistant.tool_resources.file_search.vector_store_ids == [store.id]
    thread = client.beta.threads.create()
    run = submit_message(
        client,
        assistant.id,
        thread,
        "What is the parameter count of the largest GPT-2 transformer model?",
    )
    run = wait_on_run(client, run, thread)
    assert run.status == "completed"
    reply = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    text = reply.content[0].text
    assert text.annotations, text.value
    for note in text.annotations:
        assert note.type == "file_citation" and note.file_citation.file_id == file.id
        assert text.value[note.start_index : note.end_index] == note.text
    assert "1.5B parameter" in text.value
    steps = client.beta.threads.runs.steps.list(
        thread_id=thread.id,
        run_id=run.id,
        order="asc",
        include=["step_details.tool_calls[*].file_search.results[*].content"],
    )
    search = steps.data[0].step_details.tool_calls[0]
    assert search.type == "file_search" and search.file_search.results[0].file_name == paper.name
    assert 0 < search.file_search.results[0].score <= 1 and search.file_search.results[0].content
    plain = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id, order="asc")
    assert plain.data[0].step_details.tool_calls[0].file_search.results[0].content is None
    deleted = client.vector_stores.delete(store.id)
    assert deleted.deleted and deleted.object == "vector_store.deleted"


def test_display_quiz_requires_action_submit_complete(client: Any, emulator: Any) -> None:
    emulator.set_brain(QUIZ_RULES)
    assistant = math_tutor(client)
    assistant = client.beta.assistants.update(
        assistant.id,
        tools=[
            {"type": "code_interpreter"},
            {"type": "file_search"},
            {"type": "function", "function": QUIZ_FUNCTION},
        ],
    )
    assert assistant.tools[2].function.strict is False
    thread = client.beta.threads.create()
    run = submit_message(
        client,
        assistant.id,
        thread,
        "Make a quiz with 2 questions: One open ended, one multiple choice. Then, give me feedback for the responses.",
    )
    run = wait_on_run(client, run, thread)
    assert run.status == "requires_action" and run.required_action.type == "submit_tool_outputs"
    assert run.expires_at is not None and run.usage is None
    tool_call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert tool_call.function.name == "display_quiz" and tool_call.id.startswith("call_")
    arguments = json.loads(tool_call.function.arguments)
    assert arguments["title"] == "Math Quiz" and len(arguments["questions"]) == 2
    responses = ["I don't know.", "a"]
    run = client.beta.threads.runs.submit_tool_outputs(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": tool_call.id, "output": json.dumps(responses)}],
    )
    assert run.status == "queued" and run.required_action is None
    run = wait_on_run(client, run, thread)
    assert run.status == "completed"
    reply = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert (
        reply.content[0].text.value
        == 'Here is the feedback for your responses: ["I don\'t know.", "a"]'
    )
    steps = client.beta.threads.runs.steps.list(
        thread_id=thread.id, run_id=run.id, order="asc"
    ).data
    assert [s.type for s in steps] == ["tool_calls", "message_creation"]
    assert steps[0].step_details.tool_calls[0].function.output == json.dumps(responses)


def test_polling_helpers(client: Any, emulator: Any) -> None:
    emulator.set_brain(QUIZ_RULES)
    assistant = client.beta.assistants.create(
        model="gpt-4o", name="Quizzer", tools=[{"type": "function", "function": QUIZ_FUNCTION}]
    )
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "quiz me"}]},
        poll_interval_ms=5,
    )
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "ok"}],
    )
    assert run.status == "completed"
    run2 = client.beta.threads.runs.create_and_poll(
        thread_id=run.thread_id,
        assistant_id=assistant.id,
        additional_messages=[{"role": "user", "content": "Thanks!"}],
        poll_interval_ms=5,
    )
    assert run2.status == "completed"
    texts = [
        m.content[0].text.value
        for m in client.beta.threads.messages.list(thread_id=run.thread_id, order="asc")
    ]
    assert texts[-2:] == ["Thanks!", 'You said: "Thanks!"']
