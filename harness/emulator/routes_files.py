"""Routes for files, vector stores, vector store files, file batches and vector store search."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.emulator import objects
from harness.emulator.errors import bad_request
from harness.emulator.file_search import UnsupportedFile, extract_text, matches_filter, rank
from harness.emulator.store import FileRecord, Obj, VectorStoreRecord, now, paginate
from harness.emulator.web import (
    RouteGroup,
    endpoint,
    json_response,
    page_args,
    query_choice,
)

if TYPE_CHECKING:
    pass

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
STATUSES = ("in_progress", "completed", "failed", "cancelled")


class FileRoutes(RouteGroup):
    # files --------------------------------------------------------------

    @endpoint("POST /files", beta=False)
    async def upload(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise bad_request(
                "Invalid content type. Expected multipart/form-data.", code="invalid_content_type"
            )
        try:
            form = await request.form(max_files=1, max_fields=16, max_part_size=64 * 1024)
        except MultiPartException as exc:
            raise bad_request(f"Could not parse multipart form data: {exc.message}") from None
        try:
            known = {"file", "purpose", "expires_after[anchor]", "expires_after[seconds]"}
            extra = sorted(set(form.keys()) - known)
            if extra:
                raise bad_request(f"Unrecognized request argument supplied: {extra[0]}")
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise bad_request(
                    "Missing required parameter: 'file'.",
                    param="file",
                    code="missing_required_parameter",
                )
            purpose = form.get("purpose")
            if not isinstance(purpose, str):
                raise bad_request(
                    "Missing required parameter: 'purpose'.",
                    param="purpose",
                    code="missing_required_parameter",
                )
            if purpose not in PURPOSES:
                raise bad_request(
                    f"Invalid value: '{purpose}'. Supported values are: "
                    + ", ".join(f"'{p}'" for p in PURPOSES[:-1])
                    + f", and '{PURPOSES[-1]}'.",
                    param="purpose",
                    code="invalid_value",
                )
            content = await upload.read(self.emu.options.max_file_bytes + 1)
            if len(content) > self.emu.options.max_file_bytes:
                raise bad_request(
                    f"File is too large. The maximum is {self.emu.options.max_file_bytes} bytes.",
                    param="file",
                    code="file_too_large",
                )
            expires_at = self._expires_at(
                form.get("expires_after[anchor]"), form.get("expires_after[seconds]")
            )
            obj = objects.file(upload.filename or "upload", len(content), purpose, expires_at)
        finally:
            await form.close()
        self.store.files[obj["id"]] = FileRecord(obj, content)
        return json_response(obj)

    def _expires_at(self, anchor: Any, seconds: Any) -> int | None:
        if anchor is None and seconds is None:
            return None
        if anchor != "created_at":
            raise bad_request(
                f"Invalid value: '{anchor}'. Supported values are: 'created_at'.",
                param="expires_after.anchor",
                code="invalid_value",
            )
        try:
            value = int(str(seconds))
        except ValueError:
            raise bad_request(
                "Invalid type for 'expires_after.seconds': expected an integer.",
                param="expires_after.seconds",
                code="invalid_type",
            ) from None
        if not 3600 <= value <= 2592000:
            raise bad_request(
                "Invalid 'expires_after.seconds': expected a value between 3600 and 2592000, "
                f"but got {value}.",
                param="expires_after.seconds",
                code="invalid_value",
            )
        return now() + value

    @endpoint("GET /files", beta=False)
    async def list_files(self, request: Request) -> Response:
        purpose = request.query_params.get("purpose")
        items = [
            f.obj
            for f in self.store.files.values()
            if purpose is None or f.obj["purpose"] == purpose
        ]
        args = page_args(request, limit_max=10_000, limit_default=10_000)
        args.pop("before")
        return json_response(paginate(items, **args))

    @endpoint("GET /files/{file_id}", beta=False)
    async def get_file(self, request: Request) -> Response:
        return json_response(self.store.file(request.path_params["file_id"]).obj)

    @endpoint("DELETE /files/{file_id}", beta=False)
    async def delete_file(self, request: Request) -> Response:
        rec = self.store.file(request.path_params["file_id"])
        del self.store.files[rec.obj["id"]]
        return json_response(objects.deleted(rec.obj["id"], "file"))

    @endpoint("GET /files/{file_id}/content", beta=False)
    async def file_content(self, request: Request) -> Response:
        rec = self.store.file(request.path_params["file_id"])
        return Response(rec.content, media_type="application/octet-stream")

    # vector stores ------------------------------------------------------

    def _vs(self, request: Request) -> VectorStoreRecord:
        vs: VectorStoreRecord = self.store.vector_store(request.path_params["vector_store_id"])
        return vs

    @endpoint("POST /vector_stores", beta=False)
    async def create_store(self, request: Request) -> Response:
        vs = self.emu.ingestion.create_store(await self.body(request))
        return json_response(vs.obj)

    @endpoint("GET /vector_stores", beta=False)
    async def list_stores(self, request: Request) -> Response:
        items = [vs.obj for vs in self.store.vector_stores.values()]
        return json_response(paginate(items, **page_args(request)))

    @endpoint("GET /vector_stores/{vector_store_id}", beta=False)
    async def get_store(self, request: Request) -> Response:
        return json_response(self._vs(request).obj)

    @endpoint("POST /vector_stores/{vector_store_id}", beta=False)
    async def modify_store(self, request: Request) -> Response:
        vs = self._vs(request)
        body = await self.body(request)
        for key in ("name", "metadata"):
            if key in body:
                vs.obj[key] = (
                    body[key]
                    if body[key] is not None
                    else ({} if key == "metadata" else vs.obj[key])
                )
        if "expires_after" in body:
            days = (body["expires_after"] or {}).get("days")
            if days:
                vs.obj["expires_after"] = body["expires_after"]
                vs.obj["expires_at"] = vs.obj["last_active_at"] + days * 86400
            else:
                vs.obj.pop("expires_after", None)
                vs.obj["expires_at"] = None
        return json_response(vs.obj)

    @endpoint("DELETE /vector_stores/{vector_store_id}", beta=False)
    async def delete_store(self, request: Request) -> Response:
        vs = self._vs(request)
        del self.store.vector_stores[vs.obj["id"]]
        # as the real API does, owners stop referring to a deleted store
        owners = [*self.store.assistants.values(), *(t.obj for t in self.store.threads.values())]
        for owner in owners:
            search = (owner.get("tool_resources") or {}).get("file_search")
            if search and vs.obj["id"] in search.get("vector_store_ids", []):
                search["vector_store_ids"].remove(vs.obj["id"])
        return json_response(objects.deleted(vs.obj["id"], "vector_store.deleted"))

    @endpoint("POST /vector_stores/{vector_store_id}/search", beta=False)
    async def search(self, request: Request) -> Response:
        vs = self._vs(request)
        body = await self.body(request)
        query = body["query"]
        flt = body.get("filters")
        chunks = [
            chunk
            for file_id, file_chunks in vs.chunks.items()
            if vs.files.get(file_id, {}).get("status") == "completed"
            and matches_filter(vs.files[file_id].get("attributes") or {}, flt)
            for chunk in file_chunks
        ]
        threshold = float((body.get("ranking_options") or {}).get("score_threshold") or 0.0)
        hits = rank(chunks, query, body.get("max_num_results", 10), threshold)
        vs.obj["last_active_at"] = now()
        data = []
        for hit in hits:
            frec = self.store.files.get(hit.chunk.file_id)
            data.append(
                {
                    "file_id": hit.chunk.file_id,
                    "filename": frec.obj["filename"] if frec else "",
                    "score": hit.score,
                    "attributes": vs.files[hit.chunk.file_id].get("attributes") or {},
                    "content": [{"type": "text", "text": hit.chunk.text}],
                }
            )
        return json_response(
            {
                "object": "vector_store.search_results.page",
                "search_query": query if isinstance(query, list) else [query],
                "data": data,
                "has_more": False,
                "next_page": None,
            }
        )

    # vector store files -------------------------------------------------

    @endpoint("POST /vector_stores/{vector_store_id}/files", beta=False)
    async def add_file(self, request: Request) -> Response:
        vs = self._vs(request)
        body = await self.body(request)
        obj = self.emu.ingestion.add_file(
            vs, body["file_id"], body.get("chunking_strategy"), body.get("attributes")
        )
        return json_response(obj)

    def _list_vs_files(self, request: Request, items: list[Obj]) -> Response:
        status = query_choice(request, "filter", None, STATUSES)
        if status is not None:
            items = [f for f in items if f["status"] == status]
        return json_response(paginate(items, **page_args(request)))

    @endpoint("GET /vector_stores/{vector_store_id}/files", beta=False)
    async def list_vs_files(self, request: Request) -> Response:
        return self._list_vs_files(request, list(self._vs(request).files.values()))

    @endpoint("GET /vector_stores/{vector_store_id}/files/{file_id}", beta=False)
    async def get_vs_file(self, request: Request) -> Response:
        obj = self.store.vector_store_file(
            request.path_params["vector_store_id"], request.path_params["file_id"]
        )
        return json_response(
            obj, headers={"openai-poll-after-ms": str(self.emu.options.poll_after_ms)}
        )

    @endpoint("POST /vector_stores/{vector_store_id}/files/{file_id}", beta=False)
    async def modify_vs_file(self, request: Request) -> Response:
        obj = self.store.vector_store_file(
            request.path_params["vector_store_id"], request.path_params["file_id"]
        )
        body = await self.body(request)
        obj["attributes"] = dict(body.get("attributes") or {})
        return json_response(obj)

    @endpoint("DELETE /vector_stores/{vector_store_id}/files/{file_id}", beta=False)
    async def delete_vs_file(self, request: Request) -> Response:
        vs = self._vs(request)
        obj = self.store.vector_store_file(vs.obj["id"], request.path_params["file_id"])
        del vs.files[obj["id"]]
        vs.chunks.pop(obj["id"], None)
        vs.version += 1
        self.emu.ingestion.recount(vs)
        return json_response(objects.deleted(obj["id"], "vector_store.file.deleted"))

    @endpoint("GET /vector_stores/{vector_store_id}/files/{file_id}/content", beta=False)
    async def vs_file_content(self, request: Request) -> Response:
        vs = self._vs(request)
        self.store.vector_store_file(vs.obj["id"], request.path_params["file_id"])
        frec = self.store.file(request.path_params["file_id"])
        try:
            text = (
                frec.text
                if frec.text is not None
                else extract_text(frec.obj["filename"], frec.content)
            )
        except UnsupportedFile:
            text = ""
        return json_response(
            {
                "object": "vector_store.file_content.page",
                "data": [{"type": "text", "text": text}] if text else [],
                "has_more": False,
                "next_page": None,
            }
        )

    # file batches -------------------------------------------------------

    @endpoint("POST /vector_stores/{vector_store_id}/file_batches", beta=False)
    async def create_batch(self, request: Request) -> Response:
        vs = self._vs(request)
        body = await self.body(request)
        if ("file_ids" in body) == ("files" in body):
            raise bad_request(
                "Exactly one of 'file_ids' or 'files' must be provided.", param="file_ids"
            )
        entries = (
            [{"file_id": i} for i in body["file_ids"]] if "file_ids" in body else body["files"]
        )
        if not 1 <= len(entries) <= 2000:
            raise bad_request(
                f"Invalid 'file_ids': expected between 1 and 2000 files, but got {len(entries)}.",
                param="file_ids",
                code="invalid_value",
            )
        batch = self.emu.ingestion.create_batch(
            vs, entries, body.get("chunking_strategy"), body.get("attributes")
        )
        return json_response(batch)

    @endpoint("GET /vector_stores/{vector_store_id}/file_batches/{batch_id}", beta=False)
    async def get_batch(self, request: Request) -> Response:
        batch = self.store.batch(
            request.path_params["vector_store_id"], request.path_params["batch_id"]
        )
        return json_response(
            batch, headers={"openai-poll-after-ms": str(self.emu.options.poll_after_ms)}
        )

    @endpoint("POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel", beta=False)
    async def cancel_batch(self, request: Request) -> Response:
        vs = self._vs(request)
        batch = self.store.batch(vs.obj["id"], request.path_params["batch_id"])
        self.emu.ingestion.cancel_batch(vs, batch)
        return json_response(batch)

    @endpoint("GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files", beta=False)
    async def list_batch_files(self, request: Request) -> Response:
        vs = self._vs(request)
        batch = self.store.batch(vs.obj["id"], request.path_params["batch_id"])
        ids = vs.batch_files.get(batch["id"], [])
        return self._list_vs_files(request, [vs.files[i] for i in ids if i in vs.files])

    def routes(self) -> list[Route]:
        vs = "/vector_stores/{vector_store_id}"
        table: list[tuple[str, Any, str]] = [
            ("/files", self.upload, "POST"),
            ("/files", self.list_files, "GET"),
            ("/files/{file_id}", self.get_file, "GET"),
            ("/files/{file_id}", self.delete_file, "DELETE"),
            ("/files/{file_id}/content", self.file_content, "GET"),
            ("/vector_stores", self.create_store, "POST"),
            ("/vector_stores", self.list_stores, "GET"),
            (vs, self.get_store, "GET"),
            (vs, self.modify_store, "POST"),
            (vs, self.delete_store, "DELETE"),
            (vs + "/search", self.search, "POST"),
            (vs + "/files", self.add_file, "POST"),
            (vs + "/files", self.list_vs_files, "GET"),
            (vs + "/files/{file_id}", self.get_vs_file, "GET"),
            (vs + "/files/{file_id}", self.modify_vs_file, "POST"),
            (vs + "/files/{file_id}", self.delete_vs_file, "DELETE"),
            (vs + "/files/{file_id}/content", self.vs_file_content, "GET"),
            (vs + "/file_batches", self.create_batch, "POST"),
            (vs + "/file_batches/{batch_id}", self.get_batch, "GET"),
            (vs + "/file_batches/{batch_id}/cancel", self.cancel_batch, "POST"),
            (vs + "/file_batches/{batch_id}/files", self.list_batch_files, "GET"),
        ]
        return [Route("/v1" + path, handler, methods=[method]) for path, handler, method in table]
