"""Every example in docs/ and the README works as written, and the reference is current.

A fenced block whose first line is a comment naming a file (`# test_weather.py`) is that
file: a test module is recorded, then replayed, with pytester, beside the page's other
named files (`# quiz.yaml`); a file the repository holds is shown as committed. Commands in
```console blocks parse with the options they use.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from harness.cli import _parser
from tools import reference

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = [*sorted(DOCS.glob("*.md")), README]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.M | re.S)
NAMED = re.compile(r"#\s*([\w.][\w./-]*\.(?:py|ya?ml|json))(, the beginning)?\s*\n")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    lang: str
    name: str | None  # the file the block is, from its first line
    beginning: bool  # shows only the beginning of that file
    body: str  # without the naming line

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        lang, body = match.group(1), match.group(2)
        line = text.count("\n", 0, match.start()) + 1
        named = NAMED.match(body)
        if named:
            found.append(
                Block(page, line, lang, named.group(1), bool(named.group(2)), body[named.end() :])
            )
        else:
            found.append(Block(page, line, lang, None, False, body))
    return found


BLOCKS = [block for page in PAGES for block in _blocks(page)]
COMMITTED = [b for b in BLOCKS if b.name and (ROOT / b.name).is_file()]
SUPPORT = [b for b in BLOCKS if b.name and b not in COMMITTED]


def _is_test_module(block: Block) -> bool:
    return block.lang == "python" and Path(block.name or "").name.startswith("test_")


def _unique_by_body(blocks: list[Block]) -> list[Block]:
    seen: dict[str, Block] = {}
    for block in blocks:
        seen.setdefault(block.body, block)
    return list(seen.values())


EXAMPLES = _unique_by_body([b for b in SUPPORT if _is_test_module(b)])


def test_the_pages_show_examples() -> None:
    assert {"getting-started.md", "recording.md", "contract-testing.md"} <= {
        b.page.name for b in EXAMPLES
    }
    assert len(EXAMPLES) >= 4
    assert any(b.page == README and _is_test_module(b) for b in SUPPORT)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "python"], ids=lambda b: b.where)
def test_every_python_block_names_its_file(block: Block) -> None:
    assert block.name, f"{block.where}: start the block with a comment naming its file"


@pytest.mark.parametrize("block", EXAMPLES, ids=lambda b: f"{b.where}:{b.name}")
def test_example_records_and_replays(pytester: pytest.Pytester, block: Block) -> None:
    for other in SUPPORT:
        if other.page == block.page and not _is_test_module(other) and other.lang != "console":
            (pytester.path / str(other.name)).parent.mkdir(parents=True, exist_ok=True)
            (pytester.path / str(other.name)).write_text(other.body)
    pytester.path.joinpath(str(block.name)).write_text(block.body)
    recorded = pytester.runpytest("-p", "no:cacheprovider", "--record", "--snapshot-update")
    counts = recorded.parseoutcomes()
    assert recorded.ret == 0, recorded.stdout.str()
    assert counts.get("passed", 0) >= block.body.count("def test_")
    replayed = pytester.runpytest("-p", "no:cacheprovider")
    replayed.assert_outcomes(passed=counts["passed"])
    if "snapshot" in block.body:
        replayed.stdout.fnmatch_lines(["*snapshot* passed*"])


@pytest.mark.parametrize("block", COMMITTED, ids=lambda b: f"{b.where}:{b.name}")
def test_a_committed_file_is_shown_as_committed(block: Block) -> None:
    committed = (ROOT / str(block.name)).read_text()
    if block.beginning:
        assert committed.startswith(block.body), f"{block.where}: not how {block.name} begins"
    else:
        assert block.body == committed, f"{block.where}: {block.name} differs from the file"


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if b.lang == "yaml" and not b.beginning], ids=lambda b: b.where
)
def test_yaml_blocks_parse(block: Block) -> None:
    assert yaml.safe_load(block.body) is not None


def _brain_blocks() -> list[Block]:
    return [b for b in SUPPORT if b.lang == "yaml" and re.search(r"^model:", b.body, re.M)]


@pytest.mark.parametrize("block", _brain_blocks(), ids=lambda b: b.where)
def test_brain_documents_load(block: Block, tmp_path: Path) -> None:
    from harness.emulator.engine.brain import load_brain

    path = tmp_path / str(block.name)
    path.write_text(block.body)
    assert load_brain(path).model is not None


def _command_lines(block: Block) -> list[str]:
    """The shell command lines of a console block, or of a workflow file's `run:` steps."""
    if block.lang == "console":
        text = block.body.replace("\\\n", " ")
        return [line[2:] for line in text.splitlines() if line.startswith("$ ")]
    if block.lang == "yaml" and str(block.name).startswith(".github/workflows/"):
        jobs = yaml.safe_load(block.body)["jobs"].values()
        runs = [step["run"] for job in jobs for step in job["steps"] if "run" in step]
        return [line.strip() for run in runs for line in run.splitlines()]
    return []


def _commands() -> list[tuple[str, list[str]]]:
    """(where, argv) of each `pytest` / `harness` command in a console block or workflow."""
    found = []
    for block in BLOCKS:
        for line in _command_lines(block):
            for command in re.split(r"&&|;|\|\||&(?!\S)|>", line):
                words = shlex.split(command, comments=True)
                while words and "=" in words[0] and not words[0].startswith("-"):
                    words = words[1:]  # VAR=value before the command
                if words and Path(words[0]).name in ("pytest", "harness"):
                    found.append((block.where, [Path(words[0]).name, *words[1:]]))
    return found


COMMANDS = _commands()


def test_the_pages_show_commands() -> None:
    assert {"pytest", "harness"} <= {argv[0] for _, argv in COMMANDS}
    workflow = [argv for where, argv in COMMANDS if where.startswith("docs/replay-and-ci.md")]
    assert ["pytest", "--assistants-drift", "-n", "2"] in workflow


@pytest.mark.parametrize(
    ("where", "argv"), COMMANDS, ids=[f"{w}:{' '.join(a)[:40]}" for w, a in COMMANDS]
)
def test_commands_use_options_that_exist(
    pytester: pytest.Pytester, where: str, argv: list[str]
) -> None:
    if argv[0] == "harness":
        _parser().parse_args(argv[1:])  # argparse exits on an unknown option or value
        return
    options = []
    for index, word in enumerate(argv[1:], 1):
        if word.startswith("-") or "=" in word:
            options.append(word)
            if word in ("-n", "-k", "-m", "-p", "-o", "-W") and index + 1 < len(argv):
                options.append(argv[index + 1])  # the option's value
    pytester.parseconfig(*options)  # a usage error names the unknown option


def test_a_command_with_an_unknown_option_is_caught(pytester: pytest.Pytester) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(["diff", "--colour", "a", "b"])
    with pytest.raises(pytest.UsageError):
        pytester.parseconfig("--record-backend=cloud")


def test_ci_runs_the_readme_test_command() -> None:
    (line,) = [
        line for line in README.read_text().splitlines() if "# the tests" in line.split("$ ")[-1]
    ]
    readme_command = line.split("$ ", 1)[-1].split("#")[0].split()
    assert readme_command[0] == ".venv/bin/pytest"
    ci = (ROOT / ".ci" / "run").read_text()
    commands = re.findall(r'"\$venv/bin/pytest"(.*)', ci)
    assert commands == [" " + " ".join(readme_command[1:])]


# --- the generated reference ------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def generator(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Generated]:
    """Run tools/reference.py's `main` in this process (it loads the plugin in a pytest run of
    its own; an interpreter for it cost seconds): its exit code and what it printed."""
    # The generator drops PYTEST_ADDOPTS from the environment: give it back afterwards.
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)

    def generate(*args: str) -> Generated:
        capsys.readouterr()
        returncode = reference.main(list(args))
        out, err = capsys.readouterr()
        return Generated(returncode, out, err)

    return generate


def test_the_reference_is_generated_from_the_current_code(
    generator: Callable[..., Generated],
) -> None:
    checked = generator("--check")
    assert checked.returncode == 0, checked.stderr


def test_a_stale_reference_is_refused(tmp_path: Path, generator: Callable[..., Generated]) -> None:
    stale = tmp_path / "reference.md"
    current = (DOCS / "reference.md").read_text()
    stale.write_text(current.replace("| `--assistants-drift` |", "| `--assistants-drifts` |"))
    checked = generator("--check", str(stale))
    assert checked.returncode == 1
    assert "is stale: run `python tools/reference.py`" in checked.stderr


def test_every_public_name_is_in_the_reference_and_explained_in_a_guide(
    generator: Callable[..., Generated],
) -> None:
    names = generator("--names").stdout.split("\n")
    names = [name for name in names if name]
    assert {"--record", "assistants_strict", "assistants_cassette", "openai_client"} <= set(names)
    assert "harness diff" in names
    reference = (DOCS / "reference.md").read_text()
    guides = "\n".join(
        page.read_text() for page in DOCS.glob("*.md") if page.name != "reference.md"
    )
    missing = [name for name in names if name not in reference]
    assert not missing, f"not in docs/reference.md: {missing}"
    unexplained = [name for name in names if not re.search(rf"(?<![\w-]){name}(?![\w-])", guides)]
    assert not unexplained, f"no guide in docs/ mentions: {unexplained}"


# --- what the pages point at -------------------------------------------------------------

TEXT = {page: page.read_text() for page in PAGES}
PATHS = sorted(
    {
        (page, path.rstrip("."))
        for page, text in TEXT.items()
        for path in re.findall(r"harness/[\w./-]+", text)
    }
)
DOTTED = sorted(
    {
        (page, name)
        for page, text in TEXT.items()
        for name in re.findall(r"\bharness(?:\.\w+)+", text)
    }
)


@pytest.mark.parametrize(("page", "path"), PATHS, ids=[f"{p.name}:{n}" for p, n in PATHS])
def test_every_file_a_page_names_exists(page: Path, path: str) -> None:
    assert (ROOT / path).exists(), f"{page.relative_to(ROOT)} names {path}, which is gone"


@pytest.mark.parametrize(("page", "name"), DOTTED, ids=[f"{p.name}:{n}" for p, n in DOTTED])
def test_every_python_name_a_page_names_exists(page: Path, name: str) -> None:
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            assert hasattr(found, attribute), f"{page.relative_to(ROOT)} names {name}: no such name"
            found = getattr(found, attribute)
        return
    pytest.fail(f"{page.relative_to(ROOT)} names {name}: no such module")
