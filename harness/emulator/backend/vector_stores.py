"""Vector stores, their files and file batches, and search."""

from __future__ import annotations

from harness.emulator.backend import objects
from harness.emulator.backend.inputs import Page
from harness.emulator.backend.state import BackendState, paginated, with_status
from harness.emulator.backend.store import Obj, VectorStoreRecord
from harness.emulator.errors import bad_request
from harness.emulator.tools.file_search import UnsupportedFile, extract_text, matches_filter, rank


class VectorStoreOperations(BackendState):
    # vector stores ------------------------------------------------------

    def create_vector_store(self, body: Obj) -> Obj:
        return self.ingestion.create_store(body).obj

    async def list_vector_stores(self, page: Page) -> Obj:
        for vs in list(self.store.vector_stores.values()):
            await vs.ready()
        return paginated([vs.obj for vs in self.store.vector_stores.values()], page)

    async def get_vector_store(self, vector_store_id: str) -> Obj:
        return (await self._ready_store(vector_store_id)).obj

    async def modify_vector_store(self, vector_store_id: str, body: Obj) -> Obj:
        vs = await self._ready_store(vector_store_id)
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
        return vs.obj

    def delete_vector_store(self, vector_store_id: str) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        del self.store.vector_stores[vs.obj["id"]]
        # as the real API does, owners stop referring to a deleted store
        owners = [*self.store.assistants.values(), *(t.obj for t in self.store.threads.values())]
        for owner in owners:
            search = (owner.get("tool_resources") or {}).get("file_search")
            if search and vs.obj["id"] in search.get("vector_store_ids", []):
                search["vector_store_ids"].remove(vs.obj["id"])
        return objects.deleted(vs.obj["id"], "vector_store.deleted")

    async def search_vector_store(self, vector_store_id: str, body: Obj) -> Obj:
        vs = await self._ready_store(vector_store_id)
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
        vs.obj["last_active_at"] = self.clock.now()
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
        return {
            "object": "vector_store.search_results.page",
            "search_query": query if isinstance(query, list) else [query],
            "data": data,
            "has_more": False,
            "next_page": None,
        }

    async def _ready_store(self, vector_store_id: str) -> VectorStoreRecord:
        await self.store.vector_store(vector_store_id).ready()
        return self.store.vector_store(vector_store_id)

    # vector store files -------------------------------------------------

    def create_vector_store_file(self, vector_store_id: str, body: Obj) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        return self.ingestion.add_file(
            vs, body["file_id"], body.get("chunking_strategy"), body.get("attributes")
        )

    async def list_vector_store_files(
        self, vector_store_id: str, page: Page, filter: str | None = None
    ) -> Obj:
        vs = await self._ready_store(vector_store_id)
        return paginated(with_status(list(vs.files.values()), filter), page)

    async def get_vector_store_file(self, vector_store_id: str, file_id: str) -> Obj:
        await self._ready_store(vector_store_id)
        return self.store.vector_store_file(vector_store_id, file_id)

    async def update_vector_store_file_attributes(
        self, vector_store_id: str, file_id: str, body: Obj
    ) -> Obj:
        await self._ready_store(vector_store_id)
        obj = self.store.vector_store_file(vector_store_id, file_id)
        obj["attributes"] = dict(body.get("attributes") or {})
        return obj

    def delete_vector_store_file(self, vector_store_id: str, file_id: str) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        obj = self.store.vector_store_file(vs.obj["id"], file_id)
        self.ingestion.remove_file(vs, obj["id"])
        return objects.deleted(obj["id"], "vector_store.file.deleted")

    async def retrieve_vector_store_file_content(self, vector_store_id: str, file_id: str) -> Obj:
        vs = await self._ready_store(vector_store_id)
        self.store.vector_store_file(vs.obj["id"], file_id)
        frec = self.store.file(file_id)
        try:
            text = (
                frec.text
                if frec.text is not None
                else extract_text(frec.obj["filename"], frec.content)
            )
        except UnsupportedFile:
            text = ""
        return {
            "object": "vector_store.file_content.page",
            "data": [{"type": "text", "text": text}] if text else [],
            "has_more": False,
            "next_page": None,
        }

    # file batches -------------------------------------------------------

    def create_vector_store_file_batch(self, vector_store_id: str, body: Obj) -> Obj:
        vs = self.store.vector_store(vector_store_id)
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
        return self.ingestion.create_batch(
            vs, entries, body.get("chunking_strategy"), body.get("attributes")
        )

    async def get_vector_store_file_batch(self, vector_store_id: str, batch_id: str) -> Obj:
        await self._ready_store(vector_store_id)
        return self.store.batch(vector_store_id, batch_id)

    def cancel_vector_store_file_batch(self, vector_store_id: str, batch_id: str) -> Obj:
        vs = self.store.vector_store(vector_store_id)
        batch = self.store.batch(vs.obj["id"], batch_id)
        self.ingestion.cancel_batch(vs, batch)
        return batch

    async def list_files_in_vector_store_batch(
        self, vector_store_id: str, batch_id: str, page: Page, filter: str | None = None
    ) -> Obj:
        vs = await self._ready_store(vector_store_id)
        batch = self.store.batch(vs.obj["id"], batch_id)
        ids = vs.batch_files.get(batch["id"], [])
        return paginated(with_status([vs.files[i] for i in ids if i in vs.files], filter), page)
