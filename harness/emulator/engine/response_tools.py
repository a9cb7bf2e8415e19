"""The tools a response's brain uses, as output items: `file_search_call` over the tool's
vector stores (the calibrated scores of `tools.file_search`), `code_interpreter_call` run in
the sandbox in the response's container (PNG files the code writes become container files,
cited by the next message), and the hosted tools the emulator cannot perform, carried out
as a brain rule scripts them (`web_search_call` with the rule's sources, `mcp_call` with
the rule's output)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.emulator.backend import response_objects as ro
from harness.emulator.backend.clock import Clock
from harness.emulator.backend.store import ContainerRecord, Obj, ResponseRecord, Store
from harness.emulator.engine.response_events import EventLog, pieces
from harness.emulator.engine.script import Action
from harness.emulator.engine.templates import Gathered
from harness.emulator.options import EmulatorOptions
from harness.emulator.tools.code_interpreter import execute
from harness.emulator.tools.file_search import rank
from harness.emulator.tools.sandbox import SandboxUnavailableError

CITED_RESULTS = 3
MOUNT = "/mnt/data/"


class BrainMismatch(Exception):
    """The brain's plan needs a tool the response does not have: the response fails."""


@dataclass
class Played:
    """A response's progress through its actions."""

    got: Gathered
    tool_calls: int = 0
    files: list[tuple[Obj, str]] = field(default_factory=list)
    """Container files the code wrote since the last message, with their names."""
    ended: bool = False
    output_bytes: int = 0
    """What the response's code has left in files so far (`options.max_output_bytes*`)."""


class HostedTools:
    store: Store
    clock: Clock
    options: EmulatorOptions
    new_container: Callable[[str], ContainerRecord]

    async def _search(
        self, log: EventLog, rec: ResponseRecord, action: Action, got: Gathered
    ) -> None:
        tool = next((t for t in rec.obj["tools"] if t["type"] == "file_search"), None)
        if tool is None:
            raise BrainMismatch("searched files, but the response has no file_search tool")
        query = action.text if action.text is not None else got.user_message
        ids = self._store_ids(rec)
        for vs_id in ids:
            await self.store.vector_stores[vs_id].ready()
        chunks, files = self.store.corpus(ids, self.clock.now())
        ranking = tool["ranking_options"]
        hits = rank(
            chunks, query, tool["max_num_results"], float(ranking.get("score_threshold") or 0.0)
        )
        got.searches += 1
        got.query = query
        got.hits = [(h, files[h.chunk.file_id][0]) for h in hits[:CITED_RESULTS]]
        item = ro.file_search_item(self.clock, [query])
        index = len(rec.obj["output"])
        rec.obj["output"].append(item)
        log.added(index, item)
        log.progress("response.file_search_call.in_progress", index, item)
        log.progress("response.file_search_call.searching", index, item)
        item["results"] = [
            {
                "file_id": h.chunk.file_id,
                "filename": files[h.chunk.file_id][0],
                "score": h.score,
                "text": h.chunk.text,
                "attributes": dict(files[h.chunk.file_id][1]),
            }
            for h in hits
        ]
        item["status"] = "completed"
        log.progress("response.file_search_call.completed", index, item)
        log.done(index, item)

    def _hosted(self, rec: ResponseRecord, kinds: tuple[str, ...]) -> Obj:
        tool: Obj | None = next((t for t in rec.obj["tools"] if t["type"] in kinds), None)
        if tool is None:
            raise BrainMismatch(f"used {kinds[0]}, but the response has no {kinds[0]} tool")
        return tool

    def _web_search(self, log: EventLog, rec: ResponseRecord, data: Obj) -> None:
        """A scripted web search: the query and the sources the rule gives."""
        self._hosted(rec, ro.WEB_SEARCH_TOOLS)
        sources = [{"type": "url", "url": url} for url in data.get("sources") or []]
        item = {
            "id": self.clock.new_id("ws_"),
            "type": "web_search_call",
            "status": "in_progress",
            "action": {"type": "search", "query": data["query"], "sources": sources},
        }
        index = len(rec.obj["output"])
        rec.obj["output"].append(item)
        log.added(index, item)
        log.progress("response.web_search_call.in_progress", index, item)
        log.progress("response.web_search_call.searching", index, item)
        item["status"] = "completed"
        log.progress("response.web_search_call.completed", index, item)
        log.done(index, item)

    def _mcp(self, log: EventLog, rec: ResponseRecord, data: Obj, got: Gathered) -> None:
        """A scripted call of a remote MCP server's tool, with the output the rule gives."""
        tool = self._hosted(rec, ("mcp",))
        label = tool.get("server_label") or data["server"]
        arguments = data.get("arguments") or "{}"
        item = {
            "id": self.clock.new_id("mcp_"),
            "type": "mcp_call",
            "status": "in_progress",
            "approval_request_id": None,
            "arguments": "",
            "error": None,
            "name": data["name"],
            "output": None,
            "server_label": label,
        }
        index = len(rec.obj["output"])
        rec.obj["output"].append(item)
        log.added(index, item)
        log.progress("response.mcp_call.in_progress", index, item)
        for piece in pieces(arguments, log.chunk_chars):
            log.emit(
                "response.mcp_call_arguments.delta",
                {"item_id": item["id"], "output_index": index, "delta": piece},
            )
        log.emit(
            "response.mcp_call_arguments.done",
            {"item_id": item["id"], "output_index": index, "arguments": arguments},
        )
        item.update(arguments=arguments, output=data.get("output", ""), status="completed")
        log.progress("response.mcp_call.completed", index, item)
        log.done(index, item)
        got.outputs.append((data["name"], item["output"]))  # {{outputs.NAME}} in a `say`

    def _store_ids(self, rec: ResponseRecord) -> list[str]:
        ids: list[str] = []
        for tool in rec.obj["tools"]:
            if tool["type"] == "file_search":
                ids += tool.get("vector_store_ids") or []
        return [i for i in dict.fromkeys(ids) if i in self.store.vector_stores]

    async def _code(self, log: EventLog, rec: ResponseRecord, code: str, state: Played) -> None:
        tool = next((t for t in rec.obj["tools"] if t["type"] == "code_interpreter"), None)
        if tool is None:
            raise BrainMismatch("ran code, but the response has no code_interpreter tool")
        box = self._container(tool)
        item = ro.code_item(self.clock, "", box.obj["id"])
        index = len(rec.obj["output"])
        rec.obj["output"].append(item)
        log.added(index, item)
        log.progress("response.code_interpreter_call.in_progress", index, item)
        item["code"] = code
        log.code(index, item)
        log.progress("response.code_interpreter_call.interpreting", index, item)
        files = {f["path"][len(MOUNT) :]: box.contents[i] for i, f in box.files.items()}
        try:
            result = await execute(
                code,
                timeout=self.options.code_timeout,
                files=files,
                isolation=self.options.code_isolation,
                output_room=self.store.output_room(
                    state.output_bytes,
                    self.options.max_output_bytes_per_run,
                    self.options.max_output_bytes,
                ),
            )
            logs = result.logs
        except SandboxUnavailableError as exc:
            logs, result = str(exc), None
        outputs: list[Obj] = [{"type": "logs", "logs": logs}] if logs else []
        for image in result.images if result else ():
            cfile = ro.container_file(
                self.clock, box.obj["id"], MOUNT + image.name, len(image.content), "assistant"
            )
            box.files[cfile["id"]] = cfile
            box.contents[cfile["id"]] = image.content
            self.store.keep_output(cfile["id"], len(image.content))
            state.output_bytes += len(image.content)
            state.files.append((cfile, image.name))
        box.obj["last_active_at"] = self.clock.now()
        item["outputs"] = outputs
        item["status"] = "completed"
        state.got.logs.append(logs.rstrip("\n"))
        log.progress("response.code_interpreter_call.completed", index, item)
        log.done(index, item)

    def _container(self, tool: Obj) -> ContainerRecord:
        spec = tool.get("container")
        if isinstance(spec, str):
            found = self.store.containers.get(spec)
            if found is None:
                raise ro.not_found("Container", spec)
            return found
        box = self.new_container("")
        for file_id in (spec or {}).get("file_ids") or []:
            frec = self.store.files.get(file_id)
            if frec is not None:
                name = frec.obj["filename"]
                cfile = ro.container_file(
                    self.clock, box.obj["id"], MOUNT + name, len(frec.content), "user"
                )
                box.files[cfile["id"]] = cfile
                box.contents[cfile["id"]] = frec.content
        tool["container"] = box.obj["id"]
        return box
