"""Containers (where code_interpreter runs for the Responses API) and their files."""

from __future__ import annotations

from pathlib import PurePosixPath

from harness.emulator.backend import response_objects as ro
from harness.emulator.backend.inputs import Page, Upload
from harness.emulator.backend.state import BackendState, paginated
from harness.emulator.backend.store import ContainerRecord, Obj
from harness.emulator.errors import bad_request

MOUNT = "/mnt/data/"


class ContainerOperations(BackendState):
    def create_container(self, body: Obj) -> Obj:
        for file_id in body.get("file_ids") or []:
            self.store.file(file_id)
        box = ContainerRecord(ro.container(self.clock, body["name"], body.get("expires_after")))
        if body.get("memory_limit"):
            box.obj["memory_limit"] = body["memory_limit"]
        self.store.containers[box.obj["id"]] = box
        for file_id in body.get("file_ids") or []:
            frec = self.store.file(file_id)
            self._put(box, frec.obj["filename"], frec.content, "user")
        return box.obj

    def list_containers(self, page: Page, name: str | None = None) -> Obj:
        boxes = [b.obj for b in self.store.containers.values()]
        return paginated([b for b in boxes if name is None or b["name"] == name], page)

    def retrieve_container(self, container_id: str) -> Obj:
        return self._box(container_id).obj

    def delete_container(self, container_id: str) -> Obj:
        box = self._box(container_id)
        del self.store.containers[box.obj["id"]]
        for file_id in box.files:  # the files its code made go with it
            self.store.outputs.pop(file_id, None)
        return ro.deleted(box.obj["id"], "container")

    def create_container_file(self, container_id: str, upload: Upload) -> Obj:
        box = self._box(container_id)
        name = PurePosixPath(upload.filename).name
        if not name:
            raise bad_request("The uploaded file has no name.", param="file")
        return self._put(box, name, upload.content, "user")

    def list_container_files(self, container_id: str, page: Page) -> Obj:
        return paginated(list(self._box(container_id).files.values()), page)

    def retrieve_container_file(self, container_id: str, file_id: str) -> Obj:
        return self._file(container_id, file_id)

    def delete_container_file(self, container_id: str, file_id: str) -> Obj:
        box = self._box(container_id)
        self._file(container_id, file_id)
        del box.files[file_id]
        box.contents.pop(file_id, None)
        self.store.outputs.pop(file_id, None)
        return ro.deleted(file_id, "container.file")

    def retrieve_container_file_content(self, container_id: str, file_id: str) -> bytes:
        self._file(container_id, file_id)
        return self._box(container_id).contents[file_id]

    def _put(self, box: ContainerRecord, name: str, content: bytes, source: str) -> Obj:
        cfile = ro.container_file(self.clock, box.obj["id"], MOUNT + name, len(content), source)
        box.files[cfile["id"]] = cfile
        box.contents[cfile["id"]] = content
        return cfile

    def _box(self, container_id: str) -> ContainerRecord:
        found = self.store.containers.get(container_id)
        if found is None:
            raise ro.not_found("Container", container_id)
        return found

    def _file(self, container_id: str, file_id: str) -> Obj:
        found = self._box(container_id).files.get(file_id)
        if found is None:
            raise ro.not_found("Container file", file_id)
        return found
