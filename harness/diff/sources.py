"""Where the two sides of a diff come from: cassette files, folders of them (paired by their
path below the folder), or the same folder at a git revision (blobs read with `git show`)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from harness.cassette.format import loads
from harness.cassette.model import Cassette
from harness.cassette.storage import read_cassette
from harness.errors import CassetteNotFoundError, ConfigError

Loader = Callable[[], Cassette]
Side = dict[str, Loader]
"""A side of a diff: relative name -> how to read that cassette (read only when compared)."""
_SUFFIXES = (".yaml", ".yml")


def is_cassette_name(name: str) -> bool:
    """Cassette files, not the failed takes kept beside them."""
    return name.endswith(_SUFFIXES) and not name.endswith((".failed.yaml", ".failed.yml"))


def local_side(path: Path) -> tuple[Side, bool]:
    """(the cassettes at `path`, whether it is a folder)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and is_cassette_name(p.name))
        return {p.relative_to(path).as_posix(): _reader(p, path) for p in files}, True
    if path.is_file():
        return {path.name: _reader(path)}, False
    raise CassetteNotFoundError(f"{path}: no such cassette or folder")


def _reader(path: Path, root: Path | None = None) -> Loader:
    """Read when compared; a link may lead anywhere inside the folder compared (`root`)."""
    return lambda: read_cassette(path, root=root)


def git_side(revision: str, path: Path) -> tuple[Side, bool, str]:
    """(the cassettes at `path` as of `revision`, whether it is a folder there, how to name
    that side): `path` is a file or folder of the working tree's repository."""
    folder = path if path.is_dir() else path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # deleted since the revision: git still knows it
    top = Path(_git(folder, "rev-parse", "--show-toplevel").strip())
    try:
        relative = path.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        raise ConfigError(f"--git: {path} is outside the repository at {top}") from None
    if relative == ".":
        relative = ""
    commit = _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}").strip()
    if not commit:
        raise ConfigError(f"--git {revision}: not a revision of {top}")
    listed = _git(top, "ls-tree", "-r", "-z", "--name-only", commit, "--", relative or ".")
    names = [n for n in listed.split("\0") if n and is_cassette_name(n)]
    is_folder = not (path.is_file() or names == [relative])
    side: Side = {}
    for name in names:
        key = Path(name).name if not is_folder else _below(name, relative)
        side[key] = _blob_reader(top, revision, commit, name)
    return side, is_folder, f"{revision}:{relative or '.'}"


def _below(name: str, folder: str) -> str:
    return name[len(folder) + 1 :] if folder else name


def _blob_reader(top: Path, revision: str, commit: str, name: str) -> Loader:
    def read() -> Cassette:
        text = _git(top, "show", f"{commit}:{name}")
        return loads(text, f"{revision}:{name}")

    return read


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise ConfigError("--git needs the git command, which is not installed") from None
    if done.returncode != 0 and not (args[:1] == ("rev-parse",) and "--quiet" in args):
        reason = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise ConfigError(f"git {args[0]} in {cwd}: {reason}")
    return done.stdout


def pairs(old: Side, new: Side) -> Iterator[tuple[str, Loader | None, Loader | None]]:
    """(name, old reader, new reader) for every name on either side, sorted by name."""
    for name in sorted({*old, *new}):
        yield name, old.get(name), new.get(name)
