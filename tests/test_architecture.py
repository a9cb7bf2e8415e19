"""The package's import graph: no cycles, and data flows one way between the layers.

Every module under `harness/` is parsed with `ast`; every import counts, also one inside a
function or under `TYPE_CHECKING` (a lazy import still ties two modules together). A failure
names the offending import: file, line, and what it imports.
"""

from __future__ import annotations

import ast
import functools
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The pytest wiring: the plugin and the scenario collector it registers.
PYTEST_WIRING = ("harness.plugin", "harness.pytest_scenarios", "harness.pytest_faults")

# The root package is the version and the error classes; anyone may import it.
ANYONE = ("harness", "harness.errors", "harness.encodings", "harness.escape")

# layer -> what its modules may import from the harness (besides the layer itself and ANYONE)
MAY_ONLY_IMPORT: dict[str, tuple[str, ...]] = {
    "harness": (),  # the root package itself: errors only
    "harness.errors": (),
    "harness.encodings": (),
    "harness.escape": (),
    "harness.api": (),
    "harness.safe_yaml": (),
    "harness.formats": (),  # string formats: the fuzzer's and the emulator's examples
    "harness.adapters": (),  # the doors into vcrpy's and openai's private parts
    "harness.emulator": ("harness.api", "harness.safe_yaml", "harness.formats"),
    "harness.cassette": ("harness.api", "harness.config", "harness.safe_yaml", "harness.adapters"),
    "harness.transcript": ("harness.cassette", "harness.api"),
    # the conversation view reads cassettes through the operation table, never the emulator
    "harness.parity": ("harness.cassette", "harness.api", "harness.transcript", "harness.diff"),
}
# What the root package hands out besides its errors, imported on first use (`__getattr__`),
# so that loading the plugin stays light.
ROOT_EXPORTS = ("harness.parity.assertion",)
# layer -> what its modules never import
MUST_NOT_IMPORT: dict[str, tuple[str, ...]] = {
    "harness.fuzz": ("harness.emulator", "harness.plugin", "harness.cli"),
    # fault overlays read recorded calls through harness.cassette.calls, as fuzz does
    "harness.faults": ("harness.fuzz", "harness.emulator", "harness.plugin", "harness.cli"),
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    file: str
    """Relative to the repository."""
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.importer} imports {self.imported}"


def modules(root: Path, package: str = "harness") -> dict[str, Path]:
    """Module name -> file, for every module of `package` under `root`."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of the module at `path`, parsed once for all the checks (they only
    read it)."""
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module that `name` (a module or a name in one) refers to."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(root: Path, known: dict[str, Path]) -> list[Import]:
    """Every import from one module of `known` to another, with its line."""
    found: list[Import] = []
    for module, path in known.items():
        file = path.relative_to(root).as_posix()
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(parsed(path)):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parent, *([base] if base else [])])
                # `from a import b` imports module a.b when there is one, else a name of a
                names = [f"{base}.{alias.name}" for alias in node.names]
            for name in names:
                target = _resolve(name, known)
                if target is not None and target != module:
                    found.append(Import(module, target, file, node.lineno))
    return found


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, set()).add(edge.imported)
        graph.setdefault(edge.imported, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _within(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def _layer(module: str, layers: dict[str, tuple[str, ...]]) -> str | None:
    """The most specific layer `module` belongs to (`harness` only for the root itself)."""
    best = [layer for layer in layers if _within(module, layer) and layer != "harness"]
    if module == "harness":
        return "harness"
    return max(best, key=len) if best else None


def violations(edges: list[Import]) -> Iterator[tuple[Import, str]]:
    """(import, the rule it breaks) for every import against the layering."""
    for edge in edges:
        layer = _layer(edge.importer, MAY_ONLY_IMPORT)
        if layer == "harness":
            if edge.imported not in ("harness.errors", *ROOT_EXPORTS):
                yield edge, "the root package harness may import only harness.errors"
        elif layer is not None and not _within(edge.imported, layer):
            allowed = MAY_ONLY_IMPORT[layer]
            if edge.imported not in ANYONE and not any(_within(edge.imported, a) for a in allowed):
                yield edge, f"{layer}.* may import only {', '.join([*allowed, *ANYONE])}"
        for layer, banned in MUST_NOT_IMPORT.items():
            if _within(edge.importer, layer) and any(_within(edge.imported, b) for b in banned):
                yield edge, f"{layer}.* must not import {', '.join(banned)}"
        if edge.imported in ("harness.plugin", "harness.cli"):
            yield edge, "nothing imports harness.plugin or harness.cli (they are the entry points)"


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    edges = imports(ROOT, modules(ROOT))
    # the parser found the graph it is meant to check, not an empty one
    assert len({e.importer for e in edges}) > 40
    assert any(str(e).startswith("harness/cassette/format.py:") for e in edges)
    return edges


def test_no_import_cycles(graph: list[Import]) -> None:
    found = cycles(graph)
    lines = []
    for component in found:
        inside = [e for e in graph if e.importer in component and e.imported in component]
        lines.append(" <-> ".join(component) + "".join(f"\n    {e}" for e in inside))
    assert not found, "import cycles:\n  " + "\n  ".join(lines)


def test_layers_import_only_downward(graph: list[Import]) -> None:
    broken = [f"{edge}  ({rule})" for edge, rule in violations(graph)]
    assert not broken, "imports against the layering:\n  " + "\n  ".join(broken)


def test_only_the_plugin_imports_pytest() -> None:
    offenders = []
    for module, path in modules(ROOT).items():
        for node in ast.walk(parsed(path)):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if module not in PYTEST_WIRING and any(
                n.split(".")[0] in ("pytest", "_pytest") for n in names
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {module}")
    assert not offenders, "library code imports pytest:\n  " + "\n  ".join(offenders)


# --- the checker itself finds what it is meant to find ----------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> list[Import]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return imports(tmp_path, modules(tmp_path))


def test_the_checker_sees_lazy_relative_and_from_imports(tmp_path: Path) -> None:
    edges = _package(
        tmp_path,
        {
            "harness/__init__.py": "from harness.errors import Error\nimport harness.transcript\n",
            "harness/errors.py": "",
            "harness/api/__init__.py": "",
            "harness/cassette/__init__.py": "",
            "harness/cassette/format.py": "def f():\n    from ..transcript import load\n",
            "harness/transcript/__init__.py": "from harness.cassette import format\n",
            "harness/fuzz/x.py": "import harness.cli\nfrom harness import plugin\n",
            "harness/cli.py": "",
            "harness/plugin.py": "",
            "harness/safe_yaml.py": "",
            "harness/emulator/__init__.py": "from harness import api, safe_yaml\n",
            "harness/emulator/x.py": "from harness.cassette.format import dumps\n",
            "harness/api/y.py": "from harness import safe_yaml, errors\n",
        },
    )
    assert {str(e) for e in edges} >= {
        "harness/cassette/format.py:2: harness.cassette.format imports harness.transcript",
        "harness/transcript/__init__.py:1: harness.transcript imports harness.cassette.format",
        "harness/fuzz/x.py:1: harness.fuzz.x imports harness.cli",
        "harness/fuzz/x.py:2: harness.fuzz.x imports harness.plugin",
    }
    assert cycles(edges) == [["harness.cassette.format", "harness.transcript"]]
    rules = {(str(e), rule.split(" ")[0]) for e, rule in violations(edges)}
    assert (
        "harness/cassette/format.py:2: harness.cassette.format imports harness.transcript",
        "harness.cassette.*",
    ) in rules
    assert ("harness/fuzz/x.py:2: harness.fuzz.x imports harness.plugin", "harness.fuzz.*") in rules
    assert ("harness/fuzz/x.py:1: harness.fuzz.x imports harness.cli", "nothing") in rules
    assert ("harness/__init__.py:2: harness imports harness.transcript", "the") in rules
    assert (
        "harness/emulator/x.py:1: harness.emulator.x imports harness.cassette.format",
        "harness.emulator.*",
    ) in rules
    assert ("harness/api/y.py:1: harness.api.y imports harness.safe_yaml", "harness.api.*") in rules
    allowed = (
        "harness/__init__.py:1:",
        "harness/emulator/__init__.py:",
        "harness/api/y.py:1: harness.api.y imports harness.errors",
    )
    assert not any(e.startswith(allowed) for e, _ in rules), rules


# --- API paths are read through harness.api's operation table ------------------------------

# Modules that read cassette requests: they ask `harness.api.match` which operation a path is.
PATH_READERS = (
    "harness/transcript",
    "harness/invariants.py",
    "harness/fuzz/mutation.py",
    "harness/fuzz/drift.py",
)
_CUTTERS = {"split", "rsplit", "partition", "rpartition", "startswith", "endswith", "removeprefix"}
_API_PATH = re.compile(
    r"/(?:assistants|threads|runs|messages|steps|files|vector_stores|file_batches|"
    r"submit_tool_outputs|cancel)\b"
)


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def path_surgery(path: Path) -> Iterator[tuple[int, str]]:
    """(line, what) for each place that cuts a URL path apart or spells an API path."""
    tree = parsed(path)
    docstrings = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = ast.unparse(node.func.value)
            slash = any(isinstance(a, ast.Constant) and "/" in str(a.value) for a in node.args)
            if node.func.attr in _CUTTERS and (slash or "path" in receiver.lower()):
                yield node.lineno, ast.unparse(node)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and _API_PATH.search(node.value)
        ):
            yield node.lineno, repr(node.value)


def _found_in(where: str, finder: Callable[[Path], Iterator[tuple[int, str]]]) -> list[str]:
    """`file:line: what` for each finding of `finder` in `where` (a file, or a folder's
    modules)."""
    files = sorted((ROOT / where).rglob("*.py")) if (ROOT / where).is_dir() else [ROOT / where]
    return [
        f"{file.relative_to(ROOT)}:{line}: {what}" for file in files for line, what in finder(file)
    ]


@pytest.mark.parametrize("where", PATH_READERS)
def test_path_readers_match_operations_instead_of_cutting_paths(where: str) -> None:
    found = _found_in(where, path_surgery)
    assert not found, "use harness.api.match(method, path) instead:\n  " + "\n  ".join(found)


def test_the_path_check_finds_what_the_old_code_did(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        '"""Docstring naming /threads/{id}/runs is fine."""\n'
        'parts = request.path.strip("/").split("/")\n'
        'done = any(f"/runs/{run}/submit_tool_outputs" in r.path for r in log)\n'
        "ok = request.path.endswith(SUBMIT)\n"
        'kind = name.endswith(".deleted")\n'
    )
    assert sorted({line for line, _ in path_surgery(old)}) == [2, 3, 4]


# --- package faces --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "package", ["harness", "harness.api", "harness.transcript", "harness.fuzz", "harness.emulator"]
)
def test_package_faces_export_a_deliberate_public_api(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    assert names and len(names) == len(set(names))
    private = [n for n in names if n.startswith("_") and n != "__version__"]
    assert not private, f"{package} exports private names {private}"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{package}.__all__ names what it does not have: {missing}"
    # nothing private of a submodule is re-exported under the package's name either
    leaked = [
        n
        for n, value in vars(module).items()
        if n.startswith("_")
        and not n.startswith("__")
        and getattr(value, "__module__", package).startswith(package + ".")
    ]
    assert not leaked, f"{package} imports private names of its modules: {leaked}"


# --- recorded tool calls are read in one place ----------------------------------------------

# Where a recorded run asks for or is answered with tool calls, by the wire's key names.
_TOOL_CALL_KEYS = frozenset(
    {"required_action", "submit_tool_outputs", "tool_calls", "tool_outputs"}
)
# Modules that read cassettes: they read recorded tool calls through harness.cassette.calls.
CALL_READERS = (
    "harness/transcript",
    "harness/faults",
    "harness/fuzz/drift.py",
    "harness/fuzz/mutation.py",
)


def tool_call_keys(path: Path) -> Iterator[tuple[int, str]]:
    """(line, what) for each place that looks a tool-call key up in a recorded object."""
    for node in ast.walk(parsed(path)):
        key: ast.expr | None = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "pop", "setdefault")
            and node.args
        ):
            key = node.args[0]
        if isinstance(key, ast.Constant) and key.value in _TOOL_CALL_KEYS:
            yield node.lineno, ast.unparse(node)


@pytest.mark.parametrize("where", CALL_READERS)
def test_recorded_tool_calls_are_read_through_cassette_calls(where: str) -> None:
    found = _found_in(where, tool_call_keys)
    assert not found, "read tool calls with harness.cassette.calls:\n  " + "\n  ".join(found)


def test_the_tool_call_check_finds_what_observe_did(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        'raw = as_dict(action.get("submit_tool_outputs")).get("tool_calls")\n'
        'calls = details["tool_calls"]\n'
        'step["tool_calls"] = ()\n'
        'kind = obj.get("object")\n'
    )
    assert sorted({line for line, _ in tool_call_keys(old)}) == [1, 2]


# --- protocol facts live in harness.api -------------------------------------------------------

# A literal API path (`/v1/...`, `/threads`, `runs/`, Azure's `/openai`) or a set of statuses
# (`{"failed", "expired"}`, a terminal set, a dict keyed by statuses) outside harness/api/ is a
# second home of a protocol fact: ask harness.api instead. Each exception, with its reason:
PROTOCOL_ALLOWLIST: dict[str, str] = {
    "harness/faults/spec.py: _DETAILS": (
        "the :DETAIL each fault takes, keyed by fault names (which are spelled like the "
        "statuses a fault ends a run in; the statuses themselves come from harness.api)"
    ),
    "harness/parity/assistants.py: _ENDINGS": (
        "parity's words for how each run status reads in a parity report (a report's "
        "vocabulary, not the lifecycle: which statuses end a run is harness.api's)"
    ),
}
_STATUS_WORDS = frozenset(
    {"queued", "in_progress", "requires_action", "cancelling", "cancelled", "failed"}
    | {"completed", "incomplete", "expired"}
)
_PATH_LITERAL = re.compile(
    r"/(?:v1|openai|threads|runs|responses|conversations|assistants|vector_stores|containers|"
    r"input_items|submit_tool_outputs)\b|\b(?:threads|runs|responses|conversations|assistants)/"
)


def _documentation(tree: ast.AST) -> set[int]:
    """Docstrings, and the strings that document an attribute (a bare string statement)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _assigned_to(tree: ast.AST) -> dict[int, str]:
    """id(value) -> the name a module-level or class-level assignment gives it."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names:
                found[id(node.value)] = names[0]
    return found


def protocol_literals(path: Path, relative: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each API path or status set spelled in `path`."""
    tree = parsed(path)
    documentation, assigned = _documentation(tree), _assigned_to(tree)
    for node in ast.walk(tree):
        words: list[ast.expr] = []
        if isinstance(node, (ast.Set, ast.Tuple, ast.List)):
            words = node.elts
        elif isinstance(node, ast.Dict):
            words = [k for k in node.keys if k is not None]
        values = [w.value for w in words if isinstance(w, ast.Constant)]
        if (
            len(values) >= 2
            and len(values) == len(words)
            and all(isinstance(v, str) and v in _STATUS_WORDS for v in values)
        ):
            if f"{relative}: {assigned.get(id(node), '')}" not in PROTOCOL_ALLOWLIST:
                yield node.lineno, f"status set {ast.unparse(node)}"[:120]
        elif isinstance(node, ast.JoinedStr):
            text = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
            if _PATH_LITERAL.search(text):
                yield node.lineno, f"path {ast.unparse(node)}"[:120]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in documentation
            and _PATH_LITERAL.search(node.value)
        ):
            yield node.lineno, f"path {node.value!r}"[:120]


def _outside_api() -> list[Path]:
    return [
        p
        for p in sorted((ROOT / "harness").rglob("*.py"))
        if "api" not in p.relative_to(ROOT).parts[1:2]
    ]


def test_no_module_outside_harness_api_knows_a_path_or_a_status_set() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _outside_api()
        for line, what in protocol_literals(path, path.relative_to(ROOT).as_posix())
    ]
    assert not found, "protocol facts belong in harness/api/:\n  " + "\n  ".join(found)


def test_the_allowlist_names_only_what_is_there() -> None:
    for entry, reason in PROTOCOL_ALLOWLIST.items():
        file, _, name = entry.partition(": ")
        assert reason and re.search(rf"^{name}\b", (ROOT / file).read_text(), re.M), entry


def test_the_protocol_check_finds_what_the_old_code_spelled(tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text(
        '"""Docstring naming /threads/{id}/runs is fine."""\n'
        '_UNSUCCESSFUL = frozenset({"failed", "incomplete", "expired", "cancelled"})\n'
        'RUN_ENDS = ("failed", "expired", "cancelled", "incomplete")\n'
        'DEFAULT = "https://api.openai.com/v1"\n'
        'url = f"http://{host}:{port}/v1"\n'
        'base = "/openai"\n'
        'if status in ("cancelling", "cancelled"): pass\n'
        'ENDINGS = {"completed": "completed", "expired": "expired"}\n'
        'kinds = ("assistants", "responses")\n'
        'x: str = ""\n"""An attribute\'s note: `/v1/threads`."""\n'
    )
    assert sorted({line for line, _ in protocol_literals(old, "old.py")}) == [2, 3, 4, 5, 6, 7, 8]
