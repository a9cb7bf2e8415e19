"""The model brain's script: a run decided by a Chat Completions model, an answer at a time.

Each answer becomes the run's next actions: text becomes the assistant
message, function calls one `requires_action` step with the model's call ids
and argument text (when a client streams the run, both are written as they
stream in: `turn.py`), code_interpreter and file_search calls steps run by the
emulator. Their results go back to the model as `tool` messages, and the model answers again,
until it answers without calling a tool. An endpoint error, a refusal, a tool
the run does not have or arguments that are not JSON fail the run with a
`last_error` that says so; `finish_reason: length` makes it `incomplete`.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from harness.emulator.engine.model import client
from harness.emulator.engine.model.answer import Answer, ToolCall
from harness.emulator.engine.model.request import CODE_TOOL, Toolbox, body, fit, opening, toolbox
from harness.emulator.engine.model.settings import ModelSettings
from harness.emulator.engine.model.turn import Shown, Turn
from harness.emulator.engine.runs import tokens
from harness.emulator.engine.script import Action, CallPiece, FunctionCall, Obj, Reply, RunView

log = logging.getLogger(__name__)

MAX_ANSWERS = 20
"""Answers one run may ask for: a model that only ever calls tools still ends."""
CITATION = re.compile(r"【(\d+):(\d+)†[^】\n]*】")


@dataclass
class Pending:
    """A tool call of the last answer, waiting for its result; `step` is where to find it."""

    call: ToolCall
    kind: str
    step: int | None = None


class ModelScript:
    """One run's conversation with the model."""

    expires_in: float | None = None

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings
        self.chat: list[Obj] | None = None
        self.box = Toolbox()
        self.queue: deque[tuple[Action, list[Pending]]] = deque()
        self.pending: list[Pending] = []
        self.turn: Turn | None = None
        self.answers = 0
        self.completion_used = 0
        self.prompt_used = 0
        self.searches = 0
        self.sources: dict[tuple[int, int], str] = {}
        self.done = False

    async def next_action(self, view: RunView) -> Action | None:
        if self.turn is not None:  # part of that answer is shown; now the rest of it
            turn = self.turn
            if turn.calls_next is not None:
                return self._show_calls(view, turn, turn.calls_next)
            self.turn = None
            self._settle(view, turn)
        if self.queue:
            return self._hand_out(view)
        if self.done:
            return None
        if self.chat is None:
            self.chat = opening(view)
            self.box = toolbox(view.run, view.code_files())
        elif self.pending:
            self.chat += [self._result(view, p) for p in self.pending]
            self.pending = []
        else:
            return None
        return await self._ask(view)

    def _hand_out(self, view: RunView) -> Action:
        action, pending = self.queue.popleft()
        for p in pending:
            p.step = len(view.steps())  # the action's step will be the next one
        return action

    # asking -------------------------------------------------------------

    async def _ask(self, view: RunView) -> Action | None:
        assert self.chat is not None
        if self.answers >= MAX_ANSWERS:
            text = f"The model answered {MAX_ANSWERS} times in one run, calling tools each time."
            self._end(Action("fail", text=text))
            return self._hand_out(view)
        budget = view.run.get("max_completion_tokens")
        if budget is not None:
            budget -= self.completion_used
            if budget <= 0:
                self._end(Action("incomplete", text="max_completion_tokens"))
                return self._hand_out(view)
        if not self._within_prompt_budget(view):
            self._end(Action("incomplete", text="max_prompt_tokens"))
            return self._hand_out(view)
        endpoint = self._endpoint(view.streaming)
        if isinstance(endpoint, Action):
            self._end(endpoint)
            return self._hand_out(view)
        request = body(
            self.settings,
            view,
            self.chat,
            self.box,
            first=self.answers == 0,
            stream=view.streaming,
            completion_budget=budget,
        )
        self.answers += 1
        log.debug("asking %s for answer %d", self.settings.describe(), self.answers)
        source = client.stream(endpoint, request) if view.streaming else _once(endpoint, request)
        turn = Turn(
            Answer(),
            source,
            self.box if view.streaming else None,
            seed=f"{view.run['id']}:{self.answers}",
        )
        try:
            first = await turn.next_shown()
        except client.EndpointError as exc:
            self._end(Action("fail", text=_sentence(str(exc)), code=exc.code))
            return self._hand_out(view)
        if first is None:
            self._settle(view, turn)
            return self._hand_out(view)
        self.turn = turn
        if isinstance(first, CallPiece):
            return self._show_calls(view, turn, first)
        turn.reply = Reply(self._text(view, turn, first), annotate=self._annotate)
        return Action("reply", reply=turn.reply)

    def _within_prompt_budget(self, view: RunView) -> bool:
        """`max_prompt_tokens` over the whole run, as the API counted it: the first answer's
        prompt drops the thread's oldest messages until it fits; a later answer that would
        go past what is left ends the run (estimates where the endpoint has not counted)."""
        if view.run.get("max_prompt_tokens") is None:
            return True
        limit = int(view.run["max_prompt_tokens"])
        assert self.chat is not None
        if self.answers == 0:
            self.chat = fit(self.chat, limit)
        return self.prompt_used + tokens(json.dumps(self.chat)) <= limit

    def _endpoint(self, streaming: bool) -> client.Endpoint | Action:
        headers = [
            ("Accept", "text/event-stream" if streaming else "application/json"),
            ("User-Agent", "pytest-assistants-harness emulator"),
        ]
        name = self.settings.api_key_env
        key = os.environ.get(name) if name else None
        if name and not key:
            return Action(
                "fail",
                text=f"The model brain's key is read from ${name} (model.api_key_env), "
                "which is not set.",
            )
        if key:
            headers.append(("Authorization", f"Bearer {key}"))
        return client.Endpoint(self.settings.url, tuple(headers), self.settings.timeout, key)

    async def _text(self, view: RunView, turn: Turn, first: str) -> AsyncIterator[str]:
        """The answer's text as it arrives, up to its end or to the calls that follow it."""
        assert turn.reply is not None
        piece: Shown | None = first
        try:
            while isinstance(piece, str):
                yield piece
                piece = await turn.next_shown()
        except client.EndpointError as exc:
            turn.error = exc
            turn.reply.ended = "error"
            return
        if piece is not None:  # the message ends now, before the answer's usage arrives
            turn.calls_next = piece
            view.charge_later()
            return
        self._charge(view, turn)  # before the message's step ends
        turn.reply.ended = "length" if turn.answer.finish == "length" else "stop"

    def _show_calls(self, view: RunView, turn: Turn, first: CallPiece) -> Action:
        turn.calls_next = None
        turn.step = len(view.steps())  # the action's step will be the next one
        return Action("stream_calls", call_pieces=self._call_pieces(turn, first))

    async def _call_pieces(self, turn: Turn, first: CallPiece) -> AsyncIterator[CallPiece]:
        """The function calls' pieces as they arrive, to the answer's end (text the model
        writes after its calls is left to the conversation)."""
        piece: Shown | None = first
        try:
            while piece is not None:
                if isinstance(piece, CallPiece):
                    yield piece
                piece = await turn.next_shown()
        except client.EndpointError as exc:
            turn.error = exc

    # carrying out an answer ----------------------------------------------

    def _settle(self, view: RunView, turn: Turn) -> None:
        """Queue what a finished answer asks for; the calls it showed are in an open step."""
        answer, written = turn.answer, turn.reply is not None
        if turn.error is not None:
            self._end(Action("fail", text=_sentence(str(turn.error)), code=turn.error.code))
            return
        self._charge(view, turn)
        if answer.finish == "length":
            if answer.text and not written:
                self._queue(Action("reply", reply=_whole(answer.text, self._annotate, "length")))
            self._end(Action("incomplete", text="max_completion_tokens"))
            return
        problem = answer.problem(self.box)
        if problem is not None:
            self._end(Action("fail", text=problem))
            return
        assert self.chat is not None
        calls = turn.name_calls()
        self.chat.append(answer.message())
        if (answer.text and not written) or not (answer.text or calls):
            self._queue(Action("reply", reply=_whole(answer.text, self._annotate)))
        functions: list[Pending] = []
        for call in calls:
            kind = self.box.kinds[call.name]
            arguments = json.loads(call.arguments or "{}")
            pending = Pending(call, kind)
            self.pending.append(pending)  # results go back in the model's order
            if kind == "function":
                functions.append(pending)
            elif kind == CODE_TOOL:
                self._queue(Action("code", text=arguments["code"]), pending)
            else:
                self._queue(Action("search", text=arguments["query"]), pending)
        if functions:
            step = tuple(FunctionCall(p.call.name, p.call.arguments, p.call.id) for p in functions)
            if turn.step is None:
                self._queue(Action("call", calls=step), *functions)
            else:  # the call finishes the step that shows them
                for p in functions:
                    p.step = turn.step
                self._queue(Action("call", calls=step))
        if not calls:
            self.done = True

    def _queue(self, action: Action, *pending: Pending) -> None:
        self.queue.append((action, list(pending)))

    def _end(self, action: Action) -> None:
        """End the run with `action` once what is queued is done."""
        self.queue.append((action, []))
        self.done = True
        self.pending = []

    def _charge(self, view: RunView, turn: Turn) -> None:
        if turn.charged:
            return
        turn.charged = True
        answer = turn.answer
        if answer.usage is not None:
            prompt, completion = answer.usage
        else:  # an endpoint that does not count: estimate as the rules brain does
            prompt = tokens(json.dumps(self.chat))
            completion = tokens(answer.text + "".join(c.arguments for c in answer.tool_calls()))
        self.completion_used += completion
        self.prompt_used += prompt
        view.charge(prompt, completion)

    # results --------------------------------------------------------------

    def _result(self, view: RunView, pending: Pending) -> Obj:
        steps = view.steps()
        step = steps[pending.step] if pending.step is not None and pending.step < len(steps) else {}
        calls = (step.get("step_details") or {}).get("tool_calls") or []
        if pending.kind == "function":
            found = next((c for c in calls if c.get("id") == pending.call.id), None)
            text = (found or {}).get("function", {}).get("output") or ""
        elif pending.kind == CODE_TOOL:
            text = _logs(calls[0]["code_interpreter"]["outputs"] if calls else [])
        else:
            text = self._search_text(calls[0]["file_search"].get("results") or [] if calls else [])
        return {"role": "tool", "tool_call_id": pending.call.id, "content": text}

    def _search_text(self, results: list[Obj]) -> str:
        search = self.searches
        self.searches += 1
        if not results:
            return "No passages of the attached files match the query."
        lines = [
            "Passages found, each after its citation marker. Cite a passage by copying its "
            "marker right after the sentence that uses it."
        ]
        for i, result in enumerate(results):
            marker = f"【{search}:{i}†{result.get('file_name') or 'source'}】"
            self.sources[(search, i)] = result["file_id"]
            text = " ".join(
                c.get("text", "") for c in result.get("content") or [] if c.get("type") == "text"
            )
            lines.append(f"{marker} {text}")
        return "\n\n".join(lines)

    def _annotate(self, text: str) -> list[Obj]:
        """`file_citation` annotations for the markers of results the model was given."""
        out: list[Obj] = []
        for match in CITATION.finditer(text):
            file_id = self.sources.get((int(match.group(1)), int(match.group(2))))
            if file_id is not None:
                out.append(
                    {
                        "type": "file_citation",
                        "text": match.group(0),
                        "start_index": match.start(),
                        "end_index": match.end(),
                        "file_citation": {"file_id": file_id},
                    }
                )
        return out


def _logs(outputs: list[Obj]) -> str:
    parts = []
    for output in outputs:
        if output.get("type") == "logs":
            parts.append(output.get("logs") or "")
        elif output.get("type") == "image":
            parts.append(f"[image file {output.get('image', {}).get('file_id')}]")
    text = "".join(parts)
    return text if text.strip() else "(no output)"


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


async def _once(endpoint: client.Endpoint, request: Obj) -> AsyncIterator[Obj]:
    yield await client.complete(endpoint, request)


def _whole(text: str, annotate: Callable[[str], list[Obj]], ended: str = "stop") -> Reply:
    async def one() -> AsyncIterator[str]:
        if text:
            yield text

    return Reply(one(), annotate, ended)
