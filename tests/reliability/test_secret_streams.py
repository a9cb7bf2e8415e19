"""A secret streamed across SSE deltas never survives, in any streamed field.

The attack: a streamed message, function-call arguments or code-interpreter
input that holds a secret, cut into deltas of a few characters (the emulator
quotes the user's message, builds arguments from the tool's schema and streams
the code it runs; the leaky server streams its echo of the whole request).
The secret is known to the recorder three ways: from the environment, by its
pattern, or learned from a custom header. Redacting each delta on its own
kept most of the secret; each field must be redacted whole, cut back into the
same events, and still replay through the SDK's `AssistantEventHandler`.
"""

from __future__ import annotations

import textwrap

import pytest

from harness.cassette.deltas import streamed_fields
from harness.cassette.format import loads
from tests.reliability.attack import BACKENDS, Leaky, leaky, plant, record_then_replay
from tests.reliability.leaks import assert_no_leaks, leaks, opaque, openai_key

__all__ = ["leaky"]

INNER = textwrap.dedent(
    '''
    import json
    from pathlib import Path

    import openai
    import pytest
    from openai.lib.streaming import AssistantEventHandler

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())
    SHAPE = S["shape"]


    class Collect(AssistantEventHandler):
        def __init__(self):
            super().__init__()
            self.pieces = []

        def on_text_delta(self, delta, snapshot):
            if SHAPE == "message":
                self.pieces.append(delta.value or "")

        def on_tool_call_delta(self, delta, snapshot):
            if SHAPE == "message":
                return
            if delta.type == "function" and delta.function is not None:
                self.pieces.append(delta.function.arguments or "")
            elif delta.type == "code_interpreter" and delta.code_interpreter is not None:
                self.pieces.append(delta.code_interpreter.input or "")


    def final_text(handler):
        """The field whole, as the completed event (not the deltas) has it."""
        if SHAPE == "message":
            return handler.get_final_messages()[-1].content[0].text.value
        if SHAPE == "arguments":
            run = handler.get_final_run()
            return run.required_action.submit_tool_outputs.tool_calls[0].function.arguments
        steps = [s for s in handler.get_final_run_steps() if s.type == "tool_calls"]
        return steps[0].step_details.tool_calls[0].code_interpreter.input


    def stream(client, value):
        tools, text, choice = [], f"please keep {value} safe", None
        if SHAPE == "arguments":
            note = {"type": "string", "const": f"see {value} now"}
            parameters = {"type": "object", "properties": {"note": note}, "required": ["note"]}
            tools = [{"type": "function", "function": {"name": "lookup", "parameters": parameters}}]
            choice = {"type": "function", "function": {"name": "lookup"}}
        elif SHAPE == "code":
            tools = [{"type": "code_interpreter"}]
            # The emulator streams code in 48-character deltas (cut after a space
            # when it can): the value straddles the first cut.
            code = f"#keep_this_note_safe_please___\\nnote='{value}'\\nprint(len(note))\\n"
            text = f"```python\\n{code}```"
        assistant = client.beta.assistants.create(model="gpt-4o", tools=tools)
        thread = client.beta.threads.create(messages=[{"role": "user", "content": text}])
        handler = Collect()
        # The run request carries it too: the leaky server streams its echo of that request.
        options = {"additional_instructions": f"mind {value}"}
        if choice:
            options["tool_choice"] = choice
        with client.beta.threads.runs.stream(
            thread_id=thread.id, assistant_id=assistant.id, event_handler=handler, **options
        ) as events:
            events.until_done()
        return handler


    @pytest.mark.parametrize("kind", ["environment", "pattern", "learned"])
    @pytest.mark.assistants_cassette
    def test_stream(kind, assistants_cassette):
        value = S[kind]
        headers = {"x-leak-shape": SHAPE}
        if kind == "learned":
            headers["x-tenant-tag"] = value
        handler = stream(openai.OpenAI(default_headers=headers, max_retries=0), value)
        whole = final_text(handler)
        pieces = handler.pieces
        # The deltas concatenate to the whole field, recorded or replayed
        # (compared apart: a failed assertion must not print the secret).
        same = "".join(pieces) == whole
        assert same
        if assistants_cassette.mode == "replay":
            held = value in whole
            assert not held and "<redacted>" in whole
        else:  # the attack is real: the secret was split across deltas
            split = value in whole and not any(value in p for p in pieces)
            assert split
    '''
)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", ["message", "arguments", "code"])
def test_a_secret_split_across_streamed_deltas_never_survives(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    leaky: Leaky,
    backend: str,
    shape: str,
) -> None:
    planted = {"environment": opaque("En"), "pattern": openai_key(), "learned": opaque("Lr")}
    monkeypatch.setenv("OPENAI_API_KEY", planted["environment"])
    plant(pytester, INNER, {**planted, "shape": shape})

    runs = record_then_replay(pytester, backend, passed=3)

    if backend == "live":
        assert [k for k, v in planted.items() if not leaky.received(v)] == []
    assert_no_leaks(pytester.path, runs.output, planted)
    for path in sorted(runs.cassettes.rglob("*.yaml")):
        cassette = loads(path.read_text())
        streams = [i.response.events for i in cassette.interactions if i.response.events]
        fields = [f.text for events in streams for f in streamed_fields(events)]
        # Each streamed field kept its deltas and holds the secret's marker.
        assert any("<redacted>" in text for text in fields), path
        assert leaks("".join(fields), planted) == []
