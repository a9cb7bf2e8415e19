"""The brain's plan played as one response: output items and stream events instead of run steps.

The same rules decide a response and a run (`brain.Brain.plan`): the context is
the latest user message, the response's tools and `tool_choice`, and its text
format. A `call` ends the response with `function_call` items; the actions
after it wait, by call id, for the response whose input brings their
`function_call_output` (`Pending`), as a run waits in `requires_action`. `say`
writes a message (`output_text`, citations as `file_citation` and
`container_file_citation` annotations), `search`, `code`, `web_search` and `mcp` a
tool call (`response_tools.py`), `fail` and `incomplete` end the response so.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from harness.emulator.backend import response_objects as ro
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import ContainerRecord, Obj, ResponseRecord, Store
from harness.emulator.engine.brain import Brain, RunContext, example_for
from harness.emulator.engine.model.responses import ASK_MODEL
from harness.emulator.engine.model.responses import answer as model_answer
from harness.emulator.engine.model.settings import ModelSettings
from harness.emulator.engine.response_events import EventLog
from harness.emulator.engine.response_tools import BrainMismatch, HostedTools, Played
from harness.emulator.engine.runs import CHARS_PER_TOKEN, tokens
from harness.emulator.engine.script import Action, FunctionCall
from harness.emulator.engine.templates import Gathered, render
from harness.emulator.options import EmulatorOptions


@dataclass
class Pending:
    """What the brain does once a response's function calls are answered."""

    actions: tuple[Action, ...]
    got: Gathered
    names: dict[str, str]
    """Function name by call id."""


def context(obj: Obj, user_message: str, has_stores: bool) -> RunContext:
    """What the brain sees of a response, in the terms of a run's context."""
    tools = tuple(_as_run_tool(t) for t in obj["tools"])
    choice = obj["tool_choice"]
    if isinstance(choice, dict):
        kind = choice.get("type")
        choice = (
            {"type": "function", "function": {"name": choice.get("name")}}
            if kind == "function"
            else {"type": kind}
        )
    fmt = (obj.get("text") or {}).get("format") or {"type": "text"}
    if fmt.get("type") == "json_schema":
        response_format: Any = {"type": "json_schema", "json_schema": {"schema": fmt["schema"]}}
    elif fmt.get("type") == "json_object":
        response_format = {"type": "json_object"}
    else:
        response_format = "auto"
    return RunContext(
        user_message=user_message,
        assistant_name=None,
        tools=tools,
        tool_choice=choice,
        has_vector_stores=has_stores,
        response_format=response_format,
    )


def _as_run_tool(tool: Obj) -> Obj:
    if tool["type"] == "function":
        return {"type": "function", "function": {k: v for k, v in tool.items() if k != "type"}}
    return {"type": tool["type"]}


class Responder(HostedTools):
    """Plays one response's actions (`play`), writing its output items and events."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        options: EmulatorOptions,
        new_container: Callable[[str], ContainerRecord],
    ) -> None:
        self.store = store
        self.clock = clock
        self.options = options
        self.new_container = new_container
        self.model: ModelSettings | None = None
        self.live: _Live | None = None
        """The message a streaming model is writing, open until its whole text is known."""

    def start(self, brain: Brain, rec: ResponseRecord) -> tuple[tuple[Action, ...], Gathered]:
        """The actions this response carries out: the rest of an earlier plan when its input
        answers function calls, else what the brain plans for it."""
        self.model = brain.model
        outputs = [i for i in rec.input if i["type"] == "function_call_output"]
        for item in outputs:
            pending: Pending | None = self.store.pending_calls.get(item["call_id"])
            if pending is None:
                continue
            for answer in outputs:
                name = pending.names.get(answer["call_id"])
                if name is not None:
                    output = answer["output"]
                    text = output if isinstance(output, str) else json.dumps(output)
                    pending.got.outputs.append((name, text))
                    self.store.pending_calls.pop(answer["call_id"], None)
            return pending.actions, pending.got
        user = next(
            (
                ro.item_text(i)
                for i in reversed(rec.history + rec.input)
                if i.get("type") == "message" and i.get("role") == "user"
            ),
            "",
        )
        ctx = context(rec.obj, user, bool(self._store_ids(rec)))
        got = Gathered(user_message=user, assistant_name="")
        if brain.model is not None and brain.matching_rule(ctx) is None:
            return (Action(ASK_MODEL),), got
        if outputs:  # answers to calls no plan waits for: say what came back
            got.outputs += [(i["call_id"], str(i["output"])) for i in outputs]
            return (Action("say", text="The function returned: {{output}}"),), got
        return brain.plan(ctx).actions, got

    async def play(self, rec: ResponseRecord, actions: tuple[Action, ...], got: Gathered) -> None:
        """Carry out the actions, then end the response (completed unless an action ended it)."""
        log = EventLog(rec, self.options.stream_chunk_chars)
        obj = rec.obj
        effort = (obj.get("reasoning") or {}).get("effort")
        if effort not in (None, "none"):
            self._reasoning(log)
        state = Played(got)
        left = list(actions)
        if obj["tool_choice"] == "none":
            left = [a for a in left if a.kind not in ("call", "code", "search")]
        while left and not state.ended:
            action = left.pop(0)
            if action.kind == ASK_MODEL:
                left[0:0] = await self._ask_model(log, rec)
                continue
            if action.kind == "call":
                self._call(log, rec, action, left, state)
                break
            try:
                await self._act(log, rec, action, state)
            except BrainMismatch as exc:
                obj["error"] = {"code": "server_error", "message": f"The emulator's brain {exc}."}
                self.end(log, "failed")
                return
        if not state.ended:
            self.end(log, "completed")

    async def _act(self, log: EventLog, rec: ResponseRecord, action: Action, state: Played) -> None:
        kind = action.kind
        limit = rec.obj.get("max_tool_calls")
        if kind in ("code", "search") and limit is not None and state.tool_calls >= limit:
            return
        if kind in ("say", "reply_text"):
            self._say(log, rec, action.text or "", state, verbatim=kind == "reply_text")
        elif kind == "search":
            state.tool_calls += 1
            await self._search(log, rec, action, state.got)
        elif kind == "code":
            state.tool_calls += 1
            await self._code(log, rec, action.text or "", state)
        elif kind == "web_search":
            self._web_search(log, rec, action.data or {})
        elif kind == "mcp":
            self._mcp(log, rec, action.data or {}, state.got)
        elif kind == "wait":
            await asyncio.sleep(action.seconds)
        elif kind == "fail":
            rec.obj["error"] = {"code": action.code, "message": action.text or ""}
            self.end(log, "failed")
            state.ended = True
        elif kind == "incomplete":
            rec.obj["incomplete_details"] = {"reason": "max_output_tokens"}
            self.end(log, "incomplete")
            state.ended = True

    def end(self, log: EventLog, status: str) -> None:
        if log.rec.obj["status"] == "cancelled":  # cancelled while the model answered
            return
        if self.live is not None:  # the model stopped mid-answer: its message stays cut
            live, self.live = self.live, None
            live.item["content"] = [ro.text_part(live.text, [])]
            log.text_done(live.index, live.item, live.text, [])
            live.item["status"] = "incomplete"
            log.done(live.index, live.item)
        obj = log.rec.obj
        obj["status"] = status
        if status == "completed":
            obj["completed_at"] = self.clock.now()
        output = sum(
            tokens(json.dumps(i.get("content") or i.get("arguments") or "")) for i in obj["output"]
        )
        prompt = tokens(obj.get("instructions") or "") + sum(
            tokens(json.dumps(i)) for i in log.rec.history + log.rec.input
        )
        obj["usage"] = ro.usage(prompt, output)
        log.response(f"response.{status}")

    def _reasoning(self, log: EventLog) -> None:
        item = ro.reasoning_item(self.clock)
        index = len(log.rec.obj["output"])
        log.rec.obj["output"].append(item)
        log.added(index, item)
        log.done(index, item)

    # actions --------------------------------------------------------------------

    async def _ask_model(self, log: EventLog, rec: ResponseRecord) -> list[Action]:
        if self.model is None:  # a plan left by a model brain since swapped for rules
            return [Action("say", text="The function returned: {{output}}")]
        if log.quiet:  # nobody reads the events: the answer is taken whole
            return list(await model_answer(self.model, rec))

        def shown(piece: str) -> None:
            if self.live is None:
                item = ro.message_item(self.clock)
                self.live = _Live(len(rec.obj["output"]), item)
                rec.obj["output"].append(item)
                log.added(self.live.index, item)
                log.part_added(self.live.index, item)
            self.live.text += piece
            log.delta(self.live.index, self.live.item, piece)

        return list(await model_answer(self.model, rec, shown))

    def _finish_live(self, log: EventLog, text: str) -> None:
        """Close the message the model streamed, with its whole text."""
        live, self.live = self.live, None
        assert live is not None
        log.text_done(live.index, live.item, text, [])
        live.item["content"] = [ro.text_part(text, [])]
        live.item["status"] = "completed"
        log.done(live.index, live.item)

    def _say(
        self, log: EventLog, rec: ResponseRecord, template: str, state: Played, verbatim: bool
    ) -> None:
        if verbatim and self.live is not None:  # a model's text, shown as it came
            self._finish_live(log, template)
            return
        text, marked = (template, []) if verbatim else render(template, state.got)
        text, annotations = _citations(text, marked)
        for cfile, name in state.files:
            link = f"[{name}](sandbox:{cfile['path']})"
            text += ("\n\n" if text else "") + link
            annotations.append(
                {
                    "type": "container_file_citation",
                    "container_id": cfile["container_id"],
                    "file_id": cfile["id"],
                    "filename": name,
                    "start_index": len(text) - len(link),
                    "end_index": len(text),
                }
            )
        state.files.clear()
        text = _formatted(text, rec.obj["text"]["format"])
        item = ro.message_item(self.clock)
        index = len(rec.obj["output"])
        rec.obj["output"].append(item)
        log.added(index, item)
        cap: int | None = rec.obj.get("max_output_tokens")
        cut = cap is not None and tokens(text) > cap
        if cap is not None and cut:
            text = text[: cap * CHARS_PER_TOKEN]
            annotations = [a for a in annotations if _ends_at(a) <= len(text)]
        log.text(index, item, text, annotations)
        item["content"] = [ro.text_part(text, annotations)]
        item["status"] = "incomplete" if cut else "completed"
        log.done(index, item)
        if cut:
            rec.obj["incomplete_details"] = {"reason": "max_output_tokens"}
            self.end(log, "incomplete")
            state.ended = True

    def _call(
        self, log: EventLog, rec: ResponseRecord, action: Action, left: list[Action], state: Played
    ) -> None:
        calls = list(action.calls)
        if not rec.obj["parallel_tool_calls"] and len(calls) > 1:
            left.insert(0, Action("call", calls=tuple(calls[1:])))
            calls = calls[:1]
        names: dict[str, str] = {}
        for call in calls:
            names[self._function_call(log, call)] = call.name
        pending = Pending(tuple(left), state.got, names)
        for call_id in names:
            self.store.pending_calls[call_id] = pending

    def _function_call(self, log: EventLog, call: FunctionCall) -> str:
        item = ro.function_call_item(self.clock, call.name, call.arguments, call.id)
        item["status"] = "in_progress"
        index = len(log.rec.obj["output"])
        log.rec.obj["output"].append(item)
        log.added(index, {**item, "arguments": ""})
        log.arguments(index, item)
        item["status"] = "completed"
        log.done(index, item)
        return str(item["call_id"])


@dataclass
class _Live:
    index: int
    item: Obj
    text: str = ""


def _ends_at(annotation: Obj) -> int:
    end = annotation.get("end_index")
    return int(annotation.get("index", 0) if end is None else end)


def _citations(text: str, marked: list[Obj]) -> tuple[str, list[Obj]]:
    """The Responses API's form of a run's citations: markers out of the text, each a
    `file_citation` at the place it stood."""
    out = ""
    annotations: list[Obj] = []
    pos = 0
    for ann in marked:
        out += text[pos : ann["start_index"]]
        pos = ann["end_index"]
        name = ann["text"].rsplit("†", 1)[-1].rstrip("】")
        annotations.append(
            {
                "type": "file_citation",
                "file_id": ann["file_citation"]["file_id"],
                "filename": name,
                "index": len(out),
            }
        )
    return out + text[pos:], annotations


def _formatted(text: str, fmt: Obj) -> str:
    """Output valid for the response's text format: a JSON schema's, a JSON object."""
    kind = fmt.get("type")
    if kind == "json_object":
        try:
            if isinstance(json.loads(text), dict):
                return text
        except ValueError:
            pass
        return json.dumps({"reply": text}, ensure_ascii=False)
    if kind != "json_schema":
        return text
    schema = fmt.get("schema") or {}
    try:
        value = json.loads(text)
        if not list(Draft202012Validator(schema).iter_errors(value)):
            return text
    except ValueError:
        pass
    return json.dumps(example_for(schema, schema), ensure_ascii=False)
