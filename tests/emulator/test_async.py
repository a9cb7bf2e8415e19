"""The seed's flows through AsyncOpenAI: concurrent threads, polling helpers, function calls."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.emulator.helpers import QUIZ_FUNCTION, QUIZ_RULES

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def concurrent_threads(client: Any) -> None:
    assistant = await client.beta.assistants.create(name="Math Tutor", model="gpt-4o")
    inputs = ["Solve 3x + 11 = 14", "Explain linear algebra", "I don't like math"]

    async def ask(text: str) -> list[str]:
        thread = await client.beta.threads.create(messages=[{"role": "user", "content": text}])
        run = await client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5
        )
        assert run.status == "completed"
        page = await client.beta.threads.messages.list(thread_id=thread.id, order="asc")
        return [m.content[0].text.value for m in page.data]

    results = await asyncio.gather(*(ask(t) for t in inputs))
    assert [r[0] for r in results] == inputs and all(len(r) == 2 for r in results)


async def function_call(client: Any) -> None:
    assistant = await client.beta.assistants.create(
        model="gpt-4o", tools=[{"type": "function", "function": QUIZ_FUNCTION}]
    )
    run = await client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "a quiz please"}]},
        poll_interval_ms=5,
    )
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert json.loads(call.function.arguments)["title"] == "Math Quiz"
    run = await client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=run.thread_id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "42"}],
        poll_interval_ms=5,
    )
    assert run.status == "completed"
    steps = await client.beta.threads.runs.steps.list(
        thread_id=run.thread_id, run_id=run.id, order="asc"
    )
    assert [s.type for s in steps.data] == ["tool_calls", "message_creation"]


def test_async_flows(aclient: Any, emulator: Any) -> None:
    emulator.set_brain(QUIZ_RULES)

    async def main() -> None:
        async with aclient:
            await concurrent_threads(aclient)
            await function_call(aclient)

    asyncio.run(main())
