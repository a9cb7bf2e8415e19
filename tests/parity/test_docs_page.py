"""docs/migration-parity.md works as written: its Assistants app is recorded against the
emulator, its port against a scripted loopback Responses server (the emulator does not serve
that API yet), and then both replay with the parity checks passing; its `harness parity`
command and the differences it lists are what the command prints."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.cli import main
from tests.support.responses_server import responses_server

PAGE = Path(__file__).resolve().parents[2] / "docs" / "migration-parity.md"
FENCE = re.compile(r"^```(\w*)\n#\s*([\w./-]+\.(?:py|ya?ml))\n(.*?)^```$", re.M | re.S)
QUIZ = {
    "title": "Derivatives",
    "questions": [
        {"question_text": "What is the derivative of 3x^2?", "question_type": "FREE_RESPONSE"},
        {
            "question_text": "Is 7 prime?",
            "question_type": "MULTIPLE_CHOICE",
            "choices": ["yes", "no"],
        },
    ],
}
# The page's brain, as a model behind the Responses API would play it.
RULES = [
    {
        "match": "(?i)quiz",
        "call": {"name": "display_quiz", "arguments": QUIZ},
        "then": "You answered {output}: the derivative is right, and 7 is prime.",
    },
    {
        "match": "explain",
        "say": "Bring the power down and lower it by one: the derivative of 3x^2 is 6x.",
    },
]


def files() -> dict[str, str]:
    return {name: body for _, name, body in FENCE.findall(PAGE.read_text())}


def test_the_page_records_replays_and_holds_parity(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = files()
    assert {"tutor.py", "tutor_port.py", "tutor_brain.yaml", "test_tutor.py"} <= set(blocks)
    for name, body in blocks.items():
        pytester.path.joinpath(name).write_text(body)
    pytester.runpytest(
        "-p", "no:cacheprovider", "--record", "-k", "assistants_app"
    ).assert_outcomes(passed=1)
    with responses_server(rules=RULES) as app:
        monkeypatch.setenv("OPENAI_BASE_URL", app.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        recorded = pytester.runpytest(
            "-p", "no:cacheprovider", "--record", "--record-backend=live", "-k", "ported_app"
        )
    recorded.assert_outcomes(passed=1)
    monkeypatch.delenv("OPENAI_BASE_URL")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
    folder = pytester.path / "cassettes" / "test_tutor"
    old, new = folder / "test_assistants_app.yaml", folder / "test_ported_app.yaml"
    os.chdir(pytester.path)
    assert (
        main(["parity", str(old.relative_to(pytester.path)), str(new.relative_to(pytester.path))])
        == 0
    )
    assert capsys.readouterr().out.splitlines()[-1] == "1 recording pair: the same conversation"
