"""The seed's Math Tutor ported to the Responses API, recorded once per session from a scripted
loopback Responses server (`tests.support.responses_server`) through the plugin's live backend
(in this process), to compare with the committed Assistants recordings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.inprocess import run_pytest
from tests.support.responses_server import responses_server

ROOT = Path(__file__).resolve().parents[2]
ASSISTANTS = ROOT / "cassettes" / "scenarios"
QUIZ_ARGUMENTS = {
    "title": "Math Quiz",
    "questions": [
        {
            "question_text": "What is the derivative of the function f(x) = 3x^2 + 2x - 5?",
            "question_type": "FREE_RESPONSE",
        },
        {
            "question_text": "What is the value of \\( \\int_{0}^{1} 2x \\, dx \\)?",
            "question_type": "MULTIPLE_CHOICE",
            "choices": ["0", "1", "2", "3"],
        },
    ],
}
# What the seed scenarios' brains say, as a model behind the Responses API would.
RULES = [
    {
        "match": r"3x \+ 11 = 14",
        "say": "Sure! Subtract 11 from both sides to get \\(3x = 3\\), then divide by 3 to find "
        "\\(x = 1\\).",
    },
    {
        "match": "linear algebra",
        "say": "Linear algebra is the branch of mathematics concerning vector spaces, linear "
        "transformations, and systems of linear equations, often represented with matrices.",
    },
    {
        "match": "don't like math",
        "say": "Try relating math to real-life interests or hobbies, practice with fun games or "
        "apps, and gradually build confidence with easier problems.",
    },
    {
        "match": "Thank you",
        "say": "You're welcome! If you have any more questions, feel free to ask!",
    },
    {
        "match": "explain",
        "say": "Certainly! To isolate \\(x\\), first subtract 11 from both sides of "
        "\\(3x + 11 = 14\\), giving \\(3x = 3\\). Then divide both sides by 3: \\(x = 1\\).",
    },
    {
        "match": "(?i)quiz",
        "call": {"name": "display_quiz", "arguments": QUIZ_ARGUMENTS},
        "then": "Here is the feedback for your responses: {output}. The derivative is 6x + 2, "
        "and the integral evaluates to 1.",
    },
    {
        "match": "math concepts",
        "say": "The document explains the balance principle for solving linear equations and "
        'how elimination and matrices solve systems: "Matrices generalise this idea: Gaussian '
        "elimination reduces a matrix to row echelon form, and the determinant tells whether "
        'a unique solution exists."',
        "cite": "linear_equations.md",
        "store": "vs_notes",
    },
]


def record_port(folder: Path, source: str) -> Path:
    """Record the tests in `source` (a test file's text) into `folder`/cassettes; return it."""
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_tutor_port.py").write_text(source)
    with responses_server(rules=RULES) as app:
        env = {"OPENAI_BASE_URL": app.base_url, "OPENAI_API_KEY": "sk-test"}
        args = ["-q", "-p", "no:cacheprovider", "-p", "no:xdist", "--record"]
        code, output = run_pytest(
            folder, [*args, "--record-backend=live", "test_tutor_port.py"], env
        )
    assert code == 0, output[-4000:]
    return folder / "cassettes"


@pytest.fixture(scope="session")
def ported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cassettes folder of the recorded port: `ported/`, and one folder per mutation."""
    source = (ROOT / "tests" / "support" / "ported_tutor.py").read_text()
    return record_port(tmp_path_factory.mktemp("port"), source)


@pytest.fixture
def old_side(tmp_path: Path) -> Path:
    """The Assistants recordings the port is held to."""
    folder = tmp_path / "assistants"
    folder.mkdir()
    for name in ("math_tutor", "follow_up", "function_quiz", "file_search"):
        shutil.copy(ASSISTANTS / f"{name}.yaml", folder)
    return folder
