"""A recorded object made whole before the emulator keeps it (`recorded.learn`).

A recording made against a server that deviates from the API (`harness.conformance`
names how) shows objects the emulator's rules cannot work from as they are: runs
without `temperature` or `tool_choice`, assistants without `top_p`, steps without
`expires_at`, text content as a list, timestamps in milliseconds. `learn` gives
each object the fields the API always sends, with the defaults the emulator's own
builders (`objects.py`) give them (`fill`), and reads what the server sent in another
shape the way the API means it (`reshaped`, through `harness.api.deviations`).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

from harness.api import deviations
from harness.emulator.backend import objects
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import Obj, Store

# Fields a template must not lend a value to: what an object belongs to.
_OWNERS = frozenset({"thread_id", "run_id", "assistant_id", "vector_store_id"})


@cache
def _templates() -> dict[str, Obj]:
    """One object of each kind as the emulator builds it, for its fields and defaults."""
    clock = Clock(seed="learned-defaults")
    assistant = objects.assistant(clock, {"model": ""})
    run = objects.run(clock, "", assistant, {}, expires_in=1)
    return {
        "assistant": assistant,
        "thread": objects.thread(clock, None, {}),
        "thread.message": objects.message(clock, "", "user", []),
        "thread.run": run,
        "thread.run.step": objects.step(clock, run, "", {}),
        "file": objects.file(clock, "", 0, "assistants", None),
        "vector_store": objects.vector_store(clock, {}),
        "vector_store.file": objects.vector_store_file(
            clock, "", "", objects.chunking_strategy(None), None
        ),
        "vector_store.files_batch": objects.file_batch(clock, "", 0),
    }


def reshaped(obj: Obj) -> Obj:
    """`obj` (a copy) as the API shapes it: timestamps in seconds, text content as
    `{"value", "annotations"}`, a step's `type` where only its details name it."""
    obj = copy.deepcopy(obj)
    for key, value in obj.items():
        if key.endswith("_at"):
            obj[key] = deviations.seconds(value)
    kind = deviations.kind(obj)
    if kind == "thread.message" and "id" in obj and "content" in obj:
        obj["content"] = _content(obj["content"])  # as shown (a request's is as requested)
    if kind == "thread.run.step" and "type" not in obj:
        obj["type"] = as_dict(obj.get("step_details")).get("type")
    return obj


def fill(store: Store, clock: Clock) -> None:
    """Every object the store keeps gets the fields the API sends for its kind: a step the
    thread and assistant of its run, a missing creation time now, another missing time or
    owner null, anything else missing the default the emulator gives a new object of that
    kind. Done once everything is learned, so a field that only some views carry (a
    streamed message's status) is taken from the view that has it."""
    for thread in store.threads.values():
        for run in thread.runs.values():
            for step in run.steps.values():
                for owner in ("thread_id", "assistant_id"):
                    step.setdefault(owner, run.obj.get(owner))
    for obj in _kept(store):
        template = _templates().get(deviations.kind(obj) or "", {})
        for key, default in template.items():
            if key in obj:
                continue
            if key == "created_at":
                obj[key] = clock.now()
            elif key.endswith("_at") or key in _OWNERS:
                obj[key] = None
            else:
                obj[key] = copy.deepcopy(default)


def _kept(store: Store) -> Iterator[Obj]:
    yield from store.assistants.values()
    for thread in store.threads.values():
        yield thread.obj
        yield from thread.messages.values()
        for run in thread.runs.values():
            yield run.obj
            yield from run.steps.values()
    for file in store.files.values():
        yield file.obj
    for vs in store.vector_stores.values():
        yield vs.obj
        yield from vs.files.values()
        yield from vs.batches.values()


def _content(content: Any) -> list[Obj]:
    """Message content as the API holds it: text parts `{"value", "annotations"}`."""
    if isinstance(content, str):
        return objects.content_parts(content)
    parts: list[Obj] = []
    for part in content if isinstance(content, list) else [content]:
        if not isinstance(part, dict):
            part = {"type": "text", "text": deviations.text(part)}
        if part.get("type") == "text" and not _api_text(part.get("text")):
            held = part.get("text")
            notes = [n for t in (held if isinstance(held, list) else [held]) for n in _notes(t)]
            text = {"value": deviations.text(held), "annotations": notes}
            part = {**part, "text": text}
        parts.append(part)
    return parts


def _api_text(text: Any) -> bool:
    return (
        isinstance(text, dict)
        and isinstance(text.get("value"), str)
        and isinstance(text.get("annotations"), list)
    )


def _notes(text: Any) -> list[Obj]:
    notes = text.get("annotations") if isinstance(text, dict) else None
    return [n for n in notes if isinstance(n, dict)] if isinstance(notes, list) else []


def as_dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}
