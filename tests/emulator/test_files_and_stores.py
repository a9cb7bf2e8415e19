"""Files, vector stores, vector store files, file batches and search, through the SDK."""

from __future__ import annotations

import io
from typing import Any

import openai
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def make_pdf(text: str) -> bytes:
    """A one-page PDF holding `text` (built by hand: no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1,
        xref,
    )
    return bytes(out)


def upload(client: Any, name: str, content: bytes) -> Any:
    return client.files.create(file=(name, io.BytesIO(content)), purpose="assistants")


def test_file_upload_retrieve_content_list_delete(client: Any) -> None:
    file = upload(client, "hello.txt", b"hello world")
    assert file.object == "file" and file.filename == "hello.txt" and file.bytes == 11
    assert file.status == "processed"
    assert client.files.retrieve(file.id).id == file.id
    assert client.files.content(file.id).read() == b"hello world"
    assert file.id in [f.id for f in client.files.list(purpose="assistants")]
    deleted = client.files.delete(file.id)
    assert deleted.deleted and deleted.id == file.id
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(file.id)
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=("x.txt", io.BytesIO(b"x")), purpose="wrong")  # type: ignore[arg-type]
    assert info.value.body["param"] == "purpose"


def test_vector_store_lifecycle_and_search(client: Any) -> None:
    a = upload(
        client,
        "animals.md",
        b"# Animals\n\nThe cheetah is the fastest land animal. Owls hunt at night.",
    )
    b = upload(
        client, "plants.txt", b"Cacti store water in their stems. Sunflowers follow the sun."
    )
    store = client.vector_stores.create(name="nature", file_ids=[a.id], metadata={"team": "bio"})
    assert store.status in ("in_progress", "completed") and store.file_counts.total == 1
    vs_file = client.vector_stores.files.create_and_poll(
        vector_store_id=store.id, file_id=b.id, attributes={"kind": "plants"}, poll_interval_ms=5
    )
    assert vs_file.status == "completed" and vs_file.chunking_strategy.type == "static"
    assert vs_file.chunking_strategy.static.max_chunk_size_tokens == 800
    store = client.vector_stores.retrieve(store.id)
    assert (
        store.file_counts.completed == 2 and store.status == "completed" and store.usage_bytes > 0
    )
    results = client.vector_stores.search(vector_store_id=store.id, query="which animal is fastest")
    assert results.data[0].file_id == a.id and "cheetah" in results.data[0].content[0].text
    assert results.data[0].filename == "animals.md" and 0 < results.data[0].score <= 1
    filtered = client.vector_stores.search(
        vector_store_id=store.id,
        query="water sun animal",
        filters={"type": "eq", "key": "kind", "value": "plants"},
    )
    assert {r.file_id for r in filtered.data} == {b.id}
    content = client.vector_stores.files.content(file_id=a.id, vector_store_id=store.id)
    assert "cheetah" in next(iter(content)).text
    updated = client.vector_stores.files.update(
        file_id=a.id, vector_store_id=store.id, attributes={"kind": "animals"}
    )
    assert updated.attributes == {"kind": "animals"}
    listed = client.vector_stores.files.list(vector_store_id=store.id, filter="completed")
    assert {f.id for f in listed} == {a.id, b.id}
    renamed = client.vector_stores.update(store.id, name="nature-2")
    assert renamed.name == "nature-2"
    removed = client.vector_stores.files.delete(file_id=a.id, vector_store_id=store.id)
    assert removed.deleted and removed.object == "vector_store.file.deleted"
    assert client.files.retrieve(a.id).id == a.id  # the File object stays
    assert client.vector_stores.retrieve(store.id).file_counts.total == 1
    assert store.id in [s.id for s in client.vector_stores.list()]
    assert client.vector_stores.delete(store.id).deleted


def test_file_batches(client: Any) -> None:
    ids = [
        upload(client, f"doc{i}.txt", f"document number {i} about topic {i}".encode()).id
        for i in range(3)
    ]
    store = client.vector_stores.create(name="batch")
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, file_ids=ids, poll_interval_ms=5
    )
    assert batch.id.startswith("vsfb_") and batch.status == "completed"
    assert batch.file_counts.completed == 3 and batch.file_counts.total == 3
    files = client.vector_stores.file_batches.list_files(
        batch_id=batch.id, vector_store_id=store.id
    )
    assert {f.id for f in files} == set(ids)
    uploaded = client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id,
        files=[("extra.md", io.BytesIO(b"# Extra\nMore words."))],
        poll_interval_ms=5,
    )
    assert uploaded.status == "completed" and uploaded.file_counts.completed == 1
    slow = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=ids[:1])
    cancelled = client.vector_stores.file_batches.cancel(batch_id=slow.id, vector_store_id=store.id)
    assert cancelled.status in ("cancelled", "completed")
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[])


def test_pdf_and_unsupported_files(client: Any) -> None:
    pdf = upload(
        client, "paper.pdf", make_pdf("Transformers learn multitask behaviour without supervision")
    )
    binary = upload(client, "image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    store = client.vector_stores.create(name="mixed")
    ok = client.vector_stores.files.create_and_poll(
        vector_store_id=store.id, file_id=pdf.id, poll_interval_ms=5
    )
    bad = client.vector_stores.files.create_and_poll(
        vector_store_id=store.id, file_id=binary.id, poll_interval_ms=5
    )
    assert ok.status == "completed"
    assert bad.status == "failed" and bad.last_error.code == "unsupported_file"
    hits = client.vector_stores.search(vector_store_id=store.id, query="multitask transformers")
    assert (
        hits.data and hits.data[0].file_id == pdf.id and "multitask" in hits.data[0].content[0].text
    )
    assert client.vector_stores.retrieve(store.id).file_counts.failed == 1


def test_thread_with_inline_vector_store_and_attachments(client: Any) -> None:
    doc = upload(client, "facts.txt", b"The Eiffel Tower is in Paris. Mount Fuji is in Japan.")
    assistant = client.beta.assistants.create(model="gpt-4o", tools=[{"type": "file_search"}])
    thread = client.beta.threads.create(
        tool_resources={"file_search": {"vector_stores": [{"file_ids": [doc.id]}]}},
        messages=[{"role": "user", "content": "Where is Mount Fuji?"}],
    )
    (store_id,) = thread.tool_resources.file_search.vector_store_ids
    client.vector_stores.files.poll(file_id=doc.id, vector_store_id=store_id, poll_interval_ms=5)
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=5
    )
    assert run.status == "completed"
    text = client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text
    assert (
        "Mount Fuji is in Japan." in text.value
        and text.annotations[0].file_citation.file_id == doc.id
    )
    # an attachment with file_search is searched even without a vector store
    other = upload(client, "moon.txt", b"The Moon orbits the Earth every 27 days.")
    thread2 = client.beta.threads.create(
        messages=[
            {
                "role": "user",
                "content": "How long does the Moon take to orbit?",
                "attachments": [{"file_id": other.id, "tools": [{"type": "file_search"}]}],
            }
        ]
    )
    run2 = client.beta.threads.runs.create_and_poll(
        thread_id=thread2.id, assistant_id=assistant.id, poll_interval_ms=5
    )
    assert run2.status == "completed"
    text2 = client.beta.threads.messages.list(thread_id=thread2.id).data[0].content[0].text
    assert "27 days" in text2.value and text2.annotations[0].file_citation.file_id == other.id


def test_deleting_a_store_detaches_it_from_assistants(client: Any) -> None:
    store = client.vector_stores.create(name="gone")
    assistant = client.beta.assistants.create(
        model="gpt-4o",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    client.vector_stores.delete(store.id)
    again = client.beta.assistants.retrieve(assistant.id)
    assert again.tool_resources.file_search.vector_store_ids == []
