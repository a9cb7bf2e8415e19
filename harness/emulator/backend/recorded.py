"""Taking over a recorded conversation: objects learned as a recording showed them, and runs
the recording left active carried on under the brain's rules.

Fault overlays (`harness.faults`) replay a cassette until a fault makes the
conversation leave it; from then on the emulator answers, starting from the
state the recording had reached. `learn` files each object (assistant, thread,
message, run, run step, file, vector store and its files and batches) as the
last response showed it; `take_over` resumes the active runs of a thread. A run
resumed from a rule plan skips the actions whose steps the recording already
shows (a model decides from the steps it sees), so a run left in
`requires_action` goes on as the rule says once its outputs arrive. Responses and
conversations are filed by `recorded_responses.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from harness.api import ACTIVE_RUN_STATUSES, deviations
from harness.emulator.backend import learned, objects, recorded_responses
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import (
    FileRecord,
    Obj,
    RunRecord,
    Store,
    ThreadRecord,
    VectorStoreRecord,
)
from harness.emulator.engine.brain import PlanScript, Script
from harness.emulator.engine.run_engine import Engine
from harness.emulator.engine.runs import RunCancelled
from harness.emulator.engine.steps import StepRunner
from harness.emulator.engine.templates import Gathered
from harness.emulator.engine.view import LiveRun, Meter

log = logging.getLogger(__name__)

STEP_ACTIONS = frozenset({"say", "reply", "call", "code", "search"})
"""Actions that leave a run step behind (the others: wait, fail, incomplete)."""
_STAMPS = ("created_at", "completed_at", "failed_at", "cancelled_at", "started_at")


def learn(store: Store, clock: Clock, objects: Iterable[Obj]) -> None:
    """File `objects` (API objects, lists of them, deletion notices) into the store, each as
    shown last; the clock moves past every time they show."""
    latest = clock.now()
    touched: set[str] = set()
    store.learned = True
    for obj in _flatten(objects):
        obj = learned.reshaped(obj)
        latest = max([latest, *(v for k in _STAMPS if isinstance(v := obj.get(k), int))])
        if _deleted(store, obj):
            continue
        thread = _file(store, clock, obj)
        if thread is not None:
            touched.add(thread)
    for thread_id in touched:
        if thread_id in store.threads:
            _in_creation_order(store.threads[thread_id])
    clock.advance_to(latest + 1)
    learned.fill(store, clock)  # a REST view leaves a message's status out: one read back is done


def take_over(engine: Engine, thread_id: str) -> None:
    """Carry on the runs of `thread_id` that the recording left active (not yet driven)."""
    thread = engine.store.threads.get(thread_id)
    if thread is None:
        return
    for rec in thread.runs.values():
        if rec.status in ACTIVE_RUN_STATUSES and rec.obj["id"] not in engine.live:
            _adopt(engine, thread, rec)


# --- filing objects ---------------------------------------------------------------------


def _flatten(objects: Iterable[Any]) -> Iterable[Obj]:
    for obj in objects:
        if not isinstance(obj, dict):
            continue
        if deviations.is_list(obj):
            yield from _flatten(obj.get("data") or ())
        else:
            yield obj


def _deleted(store: Store, obj: Obj) -> bool:
    if not obj.get("deleted"):
        return False
    if recorded_responses.deleted(store, obj):
        return True
    kind, object_id = obj.get("object"), str(obj.get("id"))
    if kind == "assistant.deleted":
        store.assistants.pop(object_id, None)
    elif kind == "thread.deleted":
        store.threads.pop(object_id, None)
    elif kind == "thread.message.deleted":
        for thread in store.threads.values():
            thread.messages.pop(object_id, None)
    elif kind == "file":
        store.files.pop(object_id, None)
    elif kind == "vector_store.deleted":
        store.vector_stores.pop(object_id, None)
    elif kind == "vector_store.file.deleted":
        for vs in store.vector_stores.values():
            if object_id in vs.files:
                vs.drop_file(object_id)
    return True


def _file(store: Store, clock: Clock, obj: Obj) -> str | None:
    """File one object; the thread it belongs to, if any."""
    kind, object_id = obj.get("object"), obj.get("id")
    if kind in recorded_responses.KINDS:
        recorded_responses.file(store, clock, obj)
        return None
    if kind == "thread.message" and "id" not in obj and isinstance(obj.get("thread_id"), str):
        _requested_message(store, clock, obj)
        return str(obj["thread_id"])
    if not isinstance(object_id, str):
        return None
    if kind == "assistant":
        store.assistants[object_id] = obj
    elif kind == "thread":
        record = store.threads.get(object_id)
        if record is None:
            store.threads[object_id] = ThreadRecord(obj)
        else:
            record.obj = obj
        return object_id
    elif kind == "thread.message":
        messages = _thread(store, obj).messages
        messages[object_id] = _merged(messages.get(object_id), obj)
        return str(obj["thread_id"])
    elif kind == "thread.run":
        _run(store, obj)
        return str(obj["thread_id"])
    elif kind == "thread.run.step":
        thread = _thread(store, obj)
        run = thread.runs.get(str(obj.get("run_id")))
        if run is not None:
            run.steps[object_id] = _merged(run.steps.get(object_id), obj)
        return str(obj["thread_id"])
    elif kind == "file":
        known = store.files.get(object_id)
        store.files[object_id] = FileRecord(obj, known.content if known else b"")
    elif kind == "vector_store":
        vs = store.vector_stores.get(object_id)
        if vs is None:
            store.vector_stores[object_id] = VectorStoreRecord(obj)
        else:
            vs.obj = obj
    elif kind in ("vector_store.file", "vector_store.files_batch"):
        vs = store.vector_stores.get(str(obj.get("vector_store_id")))
        if vs is None:
            pass
        elif kind == "vector_store.file":
            vs.put_file(obj)
        else:
            vs.batches[object_id] = obj
    return None


def _requested_message(store: Store, clock: Clock, requested: Obj) -> None:
    """A message a request created whose id the recording never showed (no `id`: see
    `harness.faults.known`), under a minted id."""
    content = requested.get("content")
    if not isinstance(content, (str, list)):
        return
    made = objects.message(
        clock,
        str(requested["thread_id"]),
        str(requested.get("role")),
        objects.content_parts(content),
        attachments=requested.get("attachments"),
        metadata=requested.get("metadata"),
    )
    if isinstance(requested.get("created_at"), int):
        made["created_at"] = made["completed_at"] = requested["created_at"]
    _thread(store, made).messages[made["id"]] = made


def _merged(known: Obj | None, shown: Obj) -> Obj:
    """The object as last shown, keeping fields only some views carry (REST messages leave
    out their status, stream events send it)."""
    return {**known, **shown} if known is not None else shown


def _thread(store: Store, obj: Obj) -> ThreadRecord:
    """The thread an object names, made up from it when the recording never showed it."""
    thread_id = str(obj.get("thread_id"))
    record = store.threads.get(thread_id)
    if record is None:
        record = store.threads[thread_id] = ThreadRecord(
            {
                "id": thread_id,
                "object": "thread",
                "created_at": obj.get("created_at"),
                "metadata": {},
                "tool_resources": {},
            }
        )
    return record


def _run(store: Store, obj: Obj) -> None:
    thread = _thread(store, obj)
    rec = thread.runs.get(obj["id"])
    if rec is None:
        rec = thread.runs[obj["id"]] = RunRecord(obj)
        rec.progress.idle.set()  # nothing drives it: reads need not wait
    else:
        rec.obj = _merged(rec.obj, obj)


def _in_creation_order(thread: ThreadRecord) -> None:
    """Lists page in creation order; a recording may show objects newest first."""
    thread.messages = dict(sorted(thread.messages.items(), key=lambda kv: _created(kv[1])))
    thread.runs = dict(sorted(thread.runs.items(), key=lambda kv: _created(kv[1].obj)))
    for rec in thread.runs.values():
        rec.steps = dict(sorted(rec.steps.items(), key=lambda kv: _created(kv[1])))


def _created(obj: Obj) -> int:
    value = obj.get("created_at")
    return value if isinstance(value, int) else 0


# --- carrying on a run ------------------------------------------------------------------


def _adopt(engine: Engine, thread: ThreadRecord, rec: RunRecord) -> None:
    assistant = engine.store.assistants.get(str(rec.obj.get("assistant_id"))) or {
        "id": rec.obj.get("assistant_id"),
        "name": None,
        "tools": rec.obj.get("tools") or [],
        "tool_resources": {},
    }
    _call_step(engine.clock, rec)
    # The engine's own context for a run's script: what a new run would see.
    script = engine.brain().script(engine.context(thread, assistant, rec.obj))
    rec.expires = engine.clock.deadline(script.expires_in or engine.options.run_expiry_seconds)
    rec.progress.idle.clear()
    engine.live[rec.obj["id"]] = rec
    rec.progress.task = engine.spawn(_resume(engine, thread, rec, assistant, script))


def _call_step(clock: Clock, rec: RunRecord) -> None:
    """The step of the calls a run waits on, as the API holds it: the recording may show it
    without its calls (they came in deltas) or not at all (the app did not list steps).
    Outputs submitted to the emulator then complete it, as on the API."""
    action = (rec.obj.get("required_action") or {}).get("submit_tool_outputs") or {}
    calls = [c for c in action.get("tool_calls") or () if isinstance(c, dict)]
    if rec.status != "requires_action" or not calls:
        return
    step = next(
        (
            s
            for s in reversed(rec.steps.values())
            if s.get("type") == "tool_calls" and s.get("status") == "in_progress"
        ),
        None,
    )
    if step is None:
        step = objects.step(clock, rec.obj, "tool_calls", {"type": "tool_calls"})
        created = rec.obj.get("started_at") or rec.obj.get("created_at")
        if isinstance(created, int):
            step["created_at"] = created
        rec.steps[step["id"]] = step
    details = step["step_details"] = dict(step.get("step_details") or {"type": "tool_calls"})
    shown = [c for c in details.get("tool_calls") or () if isinstance(c, dict)]
    known = {c.get("id") for c in shown}
    details["tool_calls"] = shown + [
        {
            "id": call.get("id"),
            "type": "function",
            "function": {**(call.get("function") or {}), "output": None},
        }
        for call in calls
        if call.get("id") not in known
    ]


async def _resume(
    engine: Engine, thread: ThreadRecord, rec: RunRecord, assistant: Obj, script: Script
) -> None:
    """`Engine._drive`, entered where the recording left the run."""
    got = Gathered(
        user_message=engine.context(thread, assistant, rec.obj).user_message,
        assistant_name=assistant.get("name") or "",
        outputs=_outputs(rec),
    )
    runner = StepRunner(engine, engine.store, thread, rec, assistant, got)
    meter = engine.meters[rec.obj["id"]] = Meter()
    view = LiveRun(engine.store, thread, rec, assistant, runner, meter)
    action = (rec.obj.get("required_action") or {}).get("submit_tool_outputs") or {}
    waiting = {
        str(c.get("id")): str((c.get("function") or {}).get("name"))
        for c in action.get("tool_calls") or ()
    }

    async def start() -> None:
        await _skip_made_steps(script, view, len(rec.steps), sorted(waiting.values()) or None)
        if rec.status == "cancelling":
            raise RunCancelled
        if rec.status == "requires_action":
            await engine.await_outputs(rec)
            got.outputs += [(name, rec.outputs.get(i, "")) for i, name in waiting.items()]
        await engine.gate(rec)
        if rec.status != "in_progress":
            rec.obj["started_at"] = rec.obj.get("started_at") or engine.clock.now()
            engine.set_status(rec, "in_progress")
            await engine.gate(rec)

    await engine.play(thread, rec, start, script, view, runner)


async def _skip_made_steps(
    script: Script, view: LiveRun, made: int, waiting: list[str] | None
) -> None:
    """Pass over the plan's actions whose steps the recording already shows; a run waiting
    for outputs is past the call that asked for them (whose step it may never have shown)."""
    if not isinstance(script, PlanScript):
        return  # a model decides from the steps it sees
    if waiting is not None and not any(
        a.kind == "call" and sorted(c.name for c in a.calls) == waiting for a in script.plan.actions
    ):
        return  # the plan never asks for these calls: the recording was not made from it
    if waiting is not None:
        made -= 1  # the call's own step
    while made > 0:
        action = await script.next_action(view)
        if action is None:
            return
        if action.kind in STEP_ACTIONS:
            made -= 1
    while waiting is not None:
        action = await script.next_action(view)
        if action is None or (
            action.kind == "call" and sorted(c.name for c in action.calls) == waiting
        ):
            return


def _outputs(rec: RunRecord) -> list[tuple[str, str]]:
    """Function outputs the recording shows in the run's steps (for `{{outputs.NAME}}`)."""
    found = []
    for step in rec.steps.values():
        for call in (step.get("step_details") or {}).get("tool_calls") or []:
            function = call.get("function") if call.get("type") == "function" else None
            if function and function.get("output") is not None:
                found.append((function["name"], function["output"]))
    return found
