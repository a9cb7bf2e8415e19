"""The brain: rules that decide what a run does, a model that decides when no rule matches,
and the defaults when neither does.

A brain document is a list of rules, or `{"rules": [...], "model": {...}}`
(either key optional), in JSON or YAML (`--brain FILE`, `PUT /_emulator/brain`,
`EmulatorServer(brain=...)`). The first rule whose `match` fits the run
decides; every `match` key is optional::

    rules:
      - name: quiz                      # optional, for error messages
        match:
          message: "(?i)quiz"           # regex searched in the latest user message
          assistant: "^Math Tutor$"     # regex searched in the assistant's name
          tools: [display_quiz]         # all must be available to the run:
                                        #   code_interpreter, file_search or a function name
        expires_in: 0.3                 # optional: the run expires this many seconds after creation
        actions:                        # executed in order
          - call:                       # function calls in one step -> requires_action
              - name: display_quiz
                arguments: {title: Quiz, questions: []}   # object or JSON string
          - code: "print(6 * 7)"        # code_interpreter step, really executed
          - search: "GPT-2 zero-shot"   # file_search step over the attached vector stores
          - say: "Feedback: {{outputs.display_quiz}}"     # assistant message
          - wait: 1.5                   # take this long (seconds); cancel/expiry apply
          - fail: {code: server_error, message: "Sorry, something went wrong."}
          - incomplete: max_completion_tokens
          - web_search: {query: "news", sources: ["https://example.com/a"]}   # Responses only:
          - mcp: {server: deepwiki, name: ask, arguments: {q: x}, output: "..."}  # hosted tools

Templates in `say` may use `{{message}}` (latest user message), `{{assistant}}`
(assistant name), `{{output}}` (all tool outputs so far, one per line),
`{{outputs.NAME}}` (the output submitted for function NAME), `{{logs}}` (code
interpreter logs), `{{results}}` (search result text) and `{{citations}}`
(quoted search results with `file_citation` annotations whose indices match).

Without a matching rule: a fenced ```python block in the user message is run
by code_interpreter (when the run has that tool), file_search searches the
attached vector stores (when the run has that tool and stores are attached),
`tool_choice` forcing a function calls it with arguments built from its
schema; the run then answers with a short deterministic reply quoting the user
message. Same inputs give the same texts.

With a `model` section (`harness.emulator.engine.model.settings` documents it), a
Chat Completions endpoint decides every run no rule matches, an answer at a
time (`harness.emulator.engine.model.script`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from harness import safe_yaml
from harness.api.failures import failure
from harness.emulator.engine.model.script import ModelScript
from harness.emulator.engine.model.settings import MODEL_SCHEMA, ModelSettings, parse_model
from harness.emulator.engine.script import Action, FunctionCall, RunView, Script
from harness.emulator.engine.string_examples import string_example
from harness.emulator.errors import BrainError

__all__ = ["BRAIN_SCHEMA", "Action", "Brain", "FunctionCall", "RunView", "Script", "load_brain"]

_FUNCTION_CALL = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "arguments": {"type": ["object", "string"]},
    },
}
ACTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "maxProperties": 1,
    "additionalProperties": False,
    "properties": {
        "call": {
            "anyOf": [_FUNCTION_CALL, {"type": "array", "minItems": 1, "items": _FUNCTION_CALL}]
        },
        "code": {"type": "string"},
        "search": {"type": ["string", "null"]},
        "say": {"type": "string"},
        "wait": {"type": "number", "minimum": 0},
        "fail": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "code": {"enum": ["server_error", "rate_limit_exceeded", "invalid_prompt"]},
                "message": {"type": "string"},
            },
        },
        "incomplete": {"enum": ["max_completion_tokens", "max_prompt_tokens"]},
        "web_search": {
            "type": "object",
            "required": ["query"],
            "additionalProperties": False,
            "properties": {
                "query": {"type": "string"},
                "sources": {"type": "array", "items": {"type": "string"}},
            },
        },
        "mcp": {
            "type": "object",
            "required": ["server", "name"],
            "additionalProperties": False,
            "properties": {
                "server": {"type": "string"},
                "name": {"type": "string"},
                "arguments": {"type": ["object", "string"]},
                "output": {"type": "string"},
            },
        },
    },
}
RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["actions"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "match": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "message": {"type": "string"},
                "assistant": {"type": "string"},
                "tools": {"type": "array", "items": {"type": "string"}},
            },
        },
        "expires_in": {"type": "number", "exclusiveMinimum": 0},
        "actions": {"type": "array", "items": ACTION_SCHEMA},
    },
}
BRAIN_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "harness emulator brain",
    "anyOf": [
        {"type": "array", "items": RULE_SCHEMA},
        {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": False,
            "properties": {"rules": {"type": "array", "items": RULE_SCHEMA}, "model": MODEL_SCHEMA},
        },
    ],
}
_RULES_VALIDATOR = Draft202012Validator({"type": "array", "items": RULE_SCHEMA})
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][\w.\-]*)\s*\}\}")
_FIXED_PLACEHOLDERS = {"message", "assistant", "output", "logs", "results", "citations"}
FENCED_CODE = re.compile(r"```(?:python|py|python3)?[^\S\n]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Rule:
    name: str
    actions: tuple[Action, ...]
    message: re.Pattern[str] | None = None
    assistant: re.Pattern[str] | None = None
    tools: tuple[str, ...] = ()
    expires_in: float | None = None


@dataclass(frozen=True)
class RunContext:
    """What the brain sees when a run starts."""

    user_message: str
    assistant_name: str | None
    tools: tuple[dict[str, Any], ...]
    tool_choice: Any
    has_vector_stores: bool
    response_format: Any = "auto"
    runs_default_code: bool = True
    """Whether, with no rule matching, code_interpreter may run a message's fenced code (or
    a forced hello): never once the state was learned from a cassette, which is data."""


@dataclass(frozen=True)
class Plan:
    actions: tuple[Action, ...]
    expires_in: float | None = None
    rule: str | None = None


class PlanScript:
    """A plan fixed when the run starts, played in order."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._left = iter(plan.actions)

    @property
    def expires_in(self) -> float | None:
        return self.plan.expires_in

    async def next_action(self, view: RunView | None = None) -> Action | None:
        return next(self._left, None)


@dataclass
class Brain:
    """Rules first; then the model when one is set; then the defaults."""

    rules: list[Rule] = field(default_factory=list)
    model: ModelSettings | None = None

    def script(self, ctx: RunContext) -> Script:
        rule = self.matching_rule(ctx)
        if rule is not None:
            return PlanScript(Plan(rule.actions, rule.expires_in, rule.name))
        if self.model is not None:
            return ModelScript(self.model)
        return PlanScript(default_plan(ctx))

    def describe(self) -> str:
        """What decides runs, for a cassette's header: never a secret (a model by name and
        host; its key is never part of a brain)."""
        rules = "rules" if self.rules else "defaults"
        if self.model is None:
            return rules
        model = self.model.describe()
        return f"rules, then {model}" if self.rules else model

    def hint(self, ctx: RunContext) -> str | None:
        """When no rule matches a run that could call a function, and the defaults will
        not call one: a note that says so, with a two-line rule that would."""
        if self.model is not None or self.matching_rule(ctx) is not None:
            return None
        if any(a.kind == "call" for a in default_plan(ctx).actions):
            return None
        functions = [t["function"] for t in ctx.tools if t["type"] == "function"]
        if not functions:
            return None
        first = functions[0]
        arguments = json.dumps(example_for(first.get("parameters") or {}), ensure_ascii=False)
        names = ", ".join(f["name"] for f in functions)
        return (
            f"a run had function tools [{names}] but no brain rule matched, so the emulator "
            f"answered in text without calling one. A rule that calls {first['name']}:\n"
            f"- match: {{tools: [{first['name']}]}}\n"
            f"  actions: [{{call: {{name: {first['name']}, arguments: {arguments}}}}}, "
            f'{{say: "{{{{outputs.{first["name"]}}}}}"}}]'
        )

    def plan(self, ctx: RunContext) -> Plan:
        """The rules' plan for a run (the defaults when no rule matches; the model aside)."""
        rule = self.matching_rule(ctx)
        if rule is None:
            return default_plan(ctx)
        return Plan(rule.actions, rule.expires_in, rule.name)

    def matching_rule(self, ctx: RunContext) -> Rule | None:
        available = tool_names(ctx.tools)
        for rule in self.rules:
            if rule.message and not rule.message.search(ctx.user_message):
                continue
            if rule.assistant and not rule.assistant.search(ctx.assistant_name or ""):
                continue
            if not set(rule.tools) <= available:
                continue
            return rule
        return None


def tool_names(tools: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> set[str]:
    return {t["function"]["name"] if t["type"] == "function" else t["type"] for t in tools}


def default_plan(ctx: RunContext) -> Plan:
    kinds = {t["type"] for t in ctx.tools}
    choice = ctx.tool_choice
    reply = Action("say", text=default_reply(ctx.user_message, ctx.response_format))
    if choice == "none":
        return Plan((reply,))
    forced = choice.get("type") if isinstance(choice, dict) else None
    fenced = FENCED_CODE.search(ctx.user_message)
    if (
        ctx.runs_default_code
        and "code_interpreter" in kinds
        and (fenced or forced == "code_interpreter")
    ):
        code = fenced.group(1) if fenced else 'print("Hello from the code interpreter")'
        return Plan(
            (Action("code", text=code), Action("say", text="I ran the code. Output:\n{{logs}}"))
        )
    if "file_search" in kinds and (ctx.has_vector_stores or forced == "file_search"):
        return Plan((Action("search", text=None), Action("say", text="{{citations}}")))
    functions = [t["function"] for t in ctx.tools if t["type"] == "function"]
    if functions and (choice == "required" or forced == "function"):
        name = choice["function"]["name"] if forced == "function" else functions[0]["name"]
        fn = next((f for f in functions if f["name"] == name), {"name": name})
        arguments = json.dumps(example_for(fn.get("parameters") or {}), separators=(",", ":"))
        return Plan(
            (
                Action("call", calls=(FunctionCall(name, arguments),)),
                Action("say", text="The function returned: {{output}}"),
            )
        )
    return Plan((reply,))


def default_reply(user_message: str, response_format: Any = "auto") -> str:
    """The deterministic answer: it quotes the user; JSON when the run asks for JSON."""
    quote = " ".join(user_message.split())
    if len(quote) > 200:
        quote = quote[:197] + "..."
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind == "json_object":
        return json.dumps({"reply": f"You said: {quote}"}, ensure_ascii=False)
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(example_for(schema), ensure_ascii=False)
    if not quote:
        return "Hello! How can I help you today?"
    return f'You said: "{quote}"'


def example_for(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A small deterministic instance of a JSON Schema (for forced function calls and
    structured output); local `$ref`s (`#/$defs/...`) are resolved against `root`."""
    root = schema if root is None else root
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return example_for(target if isinstance(target, dict) else {}, root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_for(schema[key][0], root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example_for(sub, root) for name, sub in props.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems") or 0))
        return [example_for(schema.get("items") or {"type": "string"}, root)] * count
    if kind == "string":
        return string_example(schema)
    if kind in ("integer", "number"):
        return schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
    if kind == "boolean":
        return False
    return None


def _where(path: Any) -> str:
    out = "rules"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BrainError(f"brain {where}: invalid regular expression: {exc}") from None


def parse_rules(document: Any) -> Brain:
    """Validate a brain document (a list of rules, or {"rules": [...], "model": {...}}) and
    build a Brain.

    Raises BrainError with one line naming the offending field.
    """
    if document is None:
        return Brain()
    model = None
    if isinstance(document, dict):
        extra = sorted(set(document) - {"rules", "model"})
        if extra or not document:
            raise BrainError(
                "brain: expected a list of rules or {'rules': [...], 'model': {...}}, "
                f"got keys {extra or []}"
            )
        if "model" in document:
            model = parse_model(document["model"])
        document = document.get("rules") or []
    if not isinstance(document, list):
        raise BrainError(f"brain: expected a list of rules, got {type(document).__name__}")
    error = best_match(_RULES_VALIDATOR.iter_errors(document))
    if error is not None:
        raise BrainError(f"brain {_where(error.absolute_path)}: {error.message}")
    rules: list[Rule] = []
    for i, raw in enumerate(document):
        match = raw.get("match") or {}
        actions = tuple(
            _action(a, f"rules[{i}].actions[{j}]") for j, a in enumerate(raw["actions"])
        )
        _check_outputs(actions, f"rules[{i}]")
        rules.append(
            Rule(
                name=raw.get("name") or f"rules[{i}]",
                actions=actions,
                message=_compile(match["message"], f"rules[{i}].match.message")
                if "message" in match
                else None,
                assistant=_compile(match["assistant"], f"rules[{i}].match.assistant")
                if "assistant" in match
                else None,
                tools=tuple(match.get("tools") or ()),
                expires_in=raw.get("expires_in"),
            )
        )
    return Brain(rules, model)


def _check_outputs(actions: tuple[Action, ...], where: str) -> None:
    """`{{outputs.NAME}}` in a `say` names a function the same rule calls: a typo would
    otherwise render as nothing."""
    called = [call.name for action in actions for call in action.calls or ()]
    called += [str(a.data["name"]) for a in actions if a.kind == "mcp" and a.data]
    for j, action in enumerate(actions):
        if action.kind != "say":
            continue
        for name in PLACEHOLDER.findall(action.text or ""):
            function = name.removeprefix("outputs.")
            if name.startswith("outputs.") and function not in called:
                calls = (
                    f"it calls {', '.join(dict.fromkeys(called))}" if called else "it calls none"
                )
                raise BrainError(
                    f"brain {where}.actions[{j}].say: {{{{{name}}}}} names a function this rule "
                    f"does not call ({calls})"
                )


def _action(raw: dict[str, Any], where: str) -> Action:
    ((kind, value),) = raw.items()
    if kind == "call":
        calls = value if isinstance(value, list) else [value]
        out = []
        for k, call in enumerate(calls):
            arguments = call.get("arguments", {})
            if isinstance(arguments, str):
                try:
                    json.loads(arguments)
                except ValueError:
                    raise BrainError(f"brain {where}.call[{k}].arguments: not valid JSON") from None
            else:
                arguments = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
            out.append(FunctionCall(call["name"], arguments))
        return Action("call", calls=tuple(out))
    if kind == "say":
        for name in PLACEHOLDER.findall(value):
            if name not in _FIXED_PLACEHOLDERS and not name.startswith("outputs."):
                raise BrainError(f"brain {where}.say: unknown placeholder {{{{{name}}}}}")
        return Action("say", text=value)
    if kind == "fail":
        said = failure(value.get("code"), value.get("message"))
        return Action("fail", text=said["message"], code=said["code"])
    if kind == "wait":
        return Action("wait", seconds=float(value))
    if kind == "incomplete":
        return Action("incomplete", text=value)
    if kind in ("web_search", "mcp"):
        data = dict(value)
        if kind == "mcp" and not isinstance(data.get("arguments", ""), str):
            data["arguments"] = json.dumps(data["arguments"], separators=(",", ":"))
        return Action(kind, text=value.get("query"), data=data)
    return Action(kind, text=value)  # code, search


def load_brain(source: Any) -> Brain:
    """A Brain from a document (list/dict), a path to a JSON/YAML file, or None (defaults).

    Only trusted callers pass a path (`--brain FILE`, the pytest plugin, Python code);
    the HTTP control endpoint accepts rules only (`harness.emulator.http.control.rules`).
    """
    if source is None or isinstance(source, Brain):
        return source or Brain()
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise BrainError(f"brain file {path}: cannot read: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise BrainError(f"brain file {path}: not UTF-8 text") from None
        try:
            document = safe_yaml.load(text)
        except safe_yaml.YAMLError as exc:
            where = f"{path}:{exc.line}" if exc.line else str(path)
            raise BrainError(f"brain file {where}: not valid JSON or YAML: {exc}") from None
        try:
            return parse_rules(document)
        except BrainError as exc:
            raise BrainError(f"{path}: {exc}") from None
    return parse_rules(source)
