"""Files: upload, list, retrieve, delete, download."""

from __future__ import annotations

from harness.emulator.backend import objects
from harness.emulator.backend.inputs import Page, Upload
from harness.emulator.backend.state import BackendState, paginated
from harness.emulator.backend.store import FileRecord, Obj
from harness.emulator.errors import bad_request, file_too_large

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
_UPLOAD_FIELDS = {"purpose", "expires_after[anchor]", "expires_after[seconds]"}


class FileOperations(BackendState):
    # files --------------------------------------------------------------

    def create_file(self, upload: Upload) -> Obj:
        extra = sorted(set(upload.fields) - _UPLOAD_FIELDS)
        if extra:
            raise bad_request(f"Unrecognized request argument supplied: {extra[0]}")
        purpose = upload.fields.get("purpose")
        if purpose is None:
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
        if len(upload.content) > self.options.max_file_bytes:
            raise file_too_large(self.options.max_file_bytes)
        expires_at = self._file_expiry(
            upload.fields.get("expires_after[anchor]"), upload.fields.get("expires_after[seconds]")
        )
        obj = objects.file(
            self.clock, upload.filename or "upload", len(upload.content), purpose, expires_at
        )
        self.store.files[obj["id"]] = FileRecord(obj, upload.content)
        return obj

    def _file_expiry(self, anchor: str | None, seconds: str | None) -> int | None:
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
        return self.clock.now() + value

    def list_files(self, page: Page, purpose: str | None = None) -> Obj:
        items = [
            f.obj
            for f in self.store.files.values()
            if purpose is None or f.obj["purpose"] == purpose
        ]
        return paginated(items, page)

    def retrieve_file(self, file_id: str) -> Obj:
        return self.store.file(file_id).obj

    def delete_file(self, file_id: str) -> Obj:
        rec = self.store.file(file_id)
        self.store.drop_file(rec.obj["id"])
        return objects.deleted(rec.obj["id"], "file")

    def download_file(self, file_id: str) -> bytes:
        return self.store.file(file_id).content
