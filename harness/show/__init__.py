"""`harness show`: a recorded conversation as one self-contained HTML page (no network, opens
from `file://` or a CI artifact), and a folder of cassettes as an index of such pages.

`trace_html` is one cassette's page (`view.trace_data` builds its data, `render.render_page`
draws it); `show` writes pages for files and folders; `harness.show.diffview` draws
`harness diff --format html`; `harness.show.failure` writes a failing test's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette, write_atomic
from harness.errors import ConfigError, HarnessError
from harness.show.render import render_page
from harness.show.view import Departure, trace_data

__all__ = ["Departure", "Shown", "show", "trace_data", "trace_html"]

INDEX_NAME = "harness-show.html"


def trace_html(
    cassette: Cassette,
    source: str,
    *,
    departure: Departure | None = None,
    outcome: str | None = None,
) -> str:
    """The trace page of `cassette` (`source` names it on the page)."""
    return render_page(trace_data(cassette, source, departure=departure, outcome=outcome))


@dataclass(frozen=True)
class Shown:
    """What `show` wrote: the page to open (the index for several), every page, the problems
    (one line per cassette it could not read)."""

    page: Path
    pages: tuple[Path, ...]
    problems: tuple[str, ...]


def show(paths: Sequence[Path], output: Path | None = None) -> Shown:
    """Write the page of one cassette (to `output`, default `<stem>.html` here), or for
    several cassettes or a folder an index (`output`, default `harness-show.html`) with the
    pages in a folder named after it."""
    if not paths:
        raise ConfigError("give a cassette or a folder of cassettes: harness show CASSETTE")
    files = _cassettes(paths)
    if len(paths) == 1 and paths[0].is_file():
        path = files[0][1]
        target = output or Path(path.stem + ".html")
        write_atomic(target, trace_html(read_cassette(path), str(path)))
        return Shown(target, (target,), ())
    index = output or Path(INDEX_NAME)
    folder = index.with_name(index.stem + "-pages")
    entries: list[dict[str, Any]] = []
    pages: list[Path] = []
    problems: list[str] = []
    used: set[str] = set()
    for name, path in files:
        stem = base = name.removesuffix(".yaml").replace("/", "__")
        while stem in used:  # two cassettes of one name, from two folders
            stem = f"{base}-{len(used)}"
        used.add(stem)
        page = folder / (stem + ".html")
        entry: dict[str, Any] = {"name": name}
        try:
            data = trace_data(read_cassette(path), str(path))
        except HarnessError as exc:
            problems.append(str(exc))
            entries.append({**entry, "problem": str(exc)})
            continue
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(page, render_page(data))
        pages.append(page)
        meta = data["meta"]
        conversation = data["conversation"]["items"]
        entries.append(
            {
                **entry,
                "href": f"{folder.name}/{page.name}",
                "test": meta.get("test"),
                "backend": meta.get("backend"),
                "brain": meta.get("brain"),
                "interactions": len(data["interactions"]),
                "messages": sum(1 for i in conversation if i["type"] == "message"),
                "runs": len(data["timelines"]),
                "violations": len(data["violations"]),
                "errors": len(data["errors"]),
            }
        )
    title = " ".join(str(p) for p in paths)
    write_atomic(index, render_page({"kind": "index", "title": title, "entries": entries}))
    return Shown(index, (index, *pages), tuple(problems))


def _cassettes(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """(name shown in the index, file) for each cassette given or found below a folder."""
    found: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            below = sorted(p for p in path.rglob("*.yaml") if p.is_file())
            found += [(p.relative_to(path).as_posix(), p) for p in below]
        elif path.is_file():
            found.append((path.name, path))
        else:
            raise ConfigError(f"{path}: no such cassette or folder")
    if not found:
        raise ConfigError(f"no cassette (*.yaml) in {', '.join(str(p) for p in paths)}")
    return found
