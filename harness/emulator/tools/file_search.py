"""file_search for real: text extraction, static chunking and lexical (BM25) ranking.

Uploaded text, markdown, code and PDF files are split into overlapping chunks
(words stand in for tokens) and ranked with bm25s. Scores are calibrated onto
the real API's 0..1 scale (`calibrate`); equal scores keep upload order, so the
same files and query always give the same results.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.emulator.backend.store import Chunk

TEXT_SUFFIXES = (
    ".txt",
    ".md",
    ".markdown",
    ".py",
    ".json",
    ".jsonl",
    ".csv",
    ".html",
    ".htm",
    ".xml",
    ".yaml",
    ".yml",
    ".rst",
    ".tex",
    ".js",
    ".ts",
    ".java",
    ".c",
    ".h",
    ".cpp",
    ".go",
    ".rb",
    ".php",
    ".sh",
    ".css",
)
_WORD = re.compile(r"\S+")
_TERM = re.compile(r"[^\W_]{2,}", re.UNICODE)
_STOPWORD_TEXT = """
a an and are as at be but by for from has have he her his i if in into is it its me my no not
of on or our she so than that the their them then there these they this to was we were what
when where which who why will with you your can could would should do does did how about some
any all
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


class UnsupportedFile(ValueError):
    """The file's type cannot be searched (the vector store file fails with `unsupported_file`)."""


def extract_text(filename: str, content: bytes) -> str:
    """The searchable text of an uploaded file."""
    lower = filename.lower()
    if lower.endswith(".pdf") or content.startswith(b"%PDF-"):
        from pypdf import PdfReader  # imported lazily: only PDFs need it

        try:
            reader = PdfReader(io.BytesIO(content))
            return "\n".join(page.extract_text() or "" for page in reader.pages)
        except Exception as exc:  # pypdf raises many types for broken files
            raise UnsupportedFile(f"Could not read PDF {filename!r}: {exc}") from exc
    if b"\x00" in content[:4096] and not lower.endswith(TEXT_SUFFIXES):
        raise UnsupportedFile(f"File type of {filename!r} is not supported for retrieval.")
    return content.decode("utf-8", errors="replace")


def chunk_text(file_id: str, text: str, max_tokens: int, overlap: int) -> list[Chunk]:
    """Overlapping windows of `max_tokens` words, each keeping the original spacing."""
    words = list(_WORD.finditer(text))
    if not words:
        return []
    stride = max(1, max_tokens - overlap)
    chunks: list[Chunk] = []
    start = 0
    while True:
        window = words[start : start + max_tokens]
        chunks.append(Chunk(file_id, text[window[0].start() : window[-1].end()]))
        if start + max_tokens >= len(words):
            return chunks
        start += stride


def _stem(word: str) -> str:
    # A light suffix stripper so "numbers"/"number" and "learning"/"learn" meet.
    for suffix in ("ingly", "edly", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def terms(text: str) -> list[str]:
    return [
        _stem(t) for t in (m.group().lower() for m in _TERM.finditer(text)) if t not in _STOPWORDS
    ]


# bm25s' defaults (the "lucene" variant), which the calibration's reference score mirrors.
K1 = 1.5
B = 0.75
# A chunk of average length holding every query term once scores 1 / (1 + HALF) = 0.68,
# twice 0.75: where the real API put a relevant passage of a short file (about 0.68-0.75).
HALF = 0.47


def idf(df: int, n_docs: int) -> float:
    """bm25s' (Lucene's) inverse document frequency."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def calibrate(raw: float, reference: float) -> float:
    """A BM25 score on the real API's 0..1 scale.

    `reference` is the BM25 score a chunk of average length would get holding
    each query term once; the ratio `raw / reference` (1 for such a chunk,
    less for one missing the rarer terms, more for repeats in a short chunk) is
    squashed by `r / (r + HALF)`. The ratio makes scores comparable across
    queries and store sizes, which raw BM25 is not (a store of one short file
    gives every term a tiny idf), and the map is monotonic, so the ranking is
    bm25s' own.
    """
    ratio = raw / reference if reference > 0 else 0.0
    return round(ratio / (ratio + HALF), 6)


def _reference(query_terms: list[str], docs: list[list[str]]) -> float:
    n_docs = len(docs)
    vocabularies = [set(d) for d in docs]
    once = 1.0 / (1.0 + K1)  # bm25s' term-frequency part for tf 1 at the average length
    return sum(idf(sum(t in v for v in vocabularies), n_docs) * once for t in query_terms)


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


def rank(
    chunks: list[Chunk], query: str | list[str], limit: int, threshold: float = 0.0
) -> list[Hit]:
    """The best `limit` chunks for `query` with a positive score of at least `threshold`."""
    text = " ".join(query) if isinstance(query, list) else query
    query_terms = list(dict.fromkeys(terms(text)))  # a repeated word is not a stronger match
    indexed = [(i, terms(c.text)) for i, c in enumerate(chunks)]
    indexed = [(i, t) for i, t in indexed if t]
    if not query_terms or not indexed:
        return []
    import bm25s  # imported lazily: numpy start-up is not free

    retriever = bm25s.BM25(k1=K1, b=B)
    retriever.index([t for _, t in indexed], show_progress=False)
    docs, scores = retriever.retrieve([query_terms], k=len(indexed), show_progress=False)
    pairs = sorted(
        ((float(s), int(d)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0),
        key=lambda p: (-p[0], p[1]),
    )
    reference = _reference(query_terms, [t for _, t in indexed])
    hits = [Hit(chunks[indexed[d][0]], calibrate(s, reference)) for s, d in pairs]
    return [h for h in hits if h.score >= threshold][:limit]


def matches_filter(attributes: dict[str, Any], flt: dict[str, Any] | None) -> bool:
    """Attribute filters of vector store search: comparison and compound (and/or)."""
    if not flt:
        return True
    kind = flt.get("type")
    if kind in ("and", "or"):
        results: Iterable[bool] = (matches_filter(attributes, f) for f in flt.get("filters", []))
        return all(results) if kind == "and" else any(results)
    if flt.get("key") not in attributes:
        return False
    have: Any = attributes[flt["key"]]
    want: Any = flt.get("value")
    try:
        if kind == "eq":
            return bool(have == want)
        if kind == "ne":
            return bool(have != want)
        if kind == "gt":
            return bool(have > want)
        if kind == "gte":
            return bool(have >= want)
        if kind == "lt":
            return bool(have < want)
        if kind == "lte":
            return bool(have <= want)
        if kind == "in":
            return have in want
        if kind == "nin":
            return have not in want
    except TypeError:
        return False
    return False
