"""Replay reads a recorded response when it serves it (`harness.cassette.layout`): a bad
response fails the test it is served to in one line; one never served does not stop a
test, except under strict replay, which reads them all to say what went unplayed."""

from __future__ import annotations

import textwrap

import pytest

from harness.cassette.format import dumps
from harness.cassette.model import Cassette, Interaction, Request, Response

TEST_FILE = textwrap.dedent(
    """
    import pytest

    @pytest.mark.assistants_cassette{marker}
    def test_it(openai_client, assistants_cassette):
        assert openai_client.beta.threads.create(metadata={{}}).id == "thread_1"
        if {whole}:
            assistants_cassette.transcript()  # reads every recorded response
    """
)


def _cassette_with_a_bad_second_response(pytester: pytest.Pytester) -> None:
    json = {"content-type": "application/json"}
    text = dumps(
        Cassette(
            meta={"base_path": "/v1"},
            interactions=[
                Interaction(
                    Request("POST", "/threads", body={"metadata": {}}),
                    Response(200, json, body={"id": "thread_1", "object": "thread"}),
                ),
                Interaction(
                    Request("GET", "/threads/thread_1"),
                    Response(200, json, body={"id": "thread_1", "object": "thread"}),
                ),
            ],
        )
    )
    second = text.rindex('"status": 200')
    text = text[:second] + '"status": "OK"' + text[second + len('"status": 200') :]
    path = pytester.path / "cassettes" / "test_app" / "test_it.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text)


@pytest.mark.parametrize("reads", ["what is served", "strict replay", "the transcript"])
def test_a_bad_response_stops_a_test_only_once_it_is_read(
    pytester: pytest.Pytester, reads: str
) -> None:
    _cassette_with_a_bad_second_response(pytester)
    marker = "(strict=True)" if reads == "strict replay" else ""
    whole = reads == "the transcript"
    pytester.makepyfile(test_app=TEST_FILE.format(marker=marker, whole=whole))

    result = pytester.runpytest("-p", "no:cacheprovider")

    if reads == "what is served":
        result.assert_outcomes(passed=1)
        return
    result.assert_outcomes(failed=1)
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "_ test_it _" in line) + 1
    end = next(i for i, line in enumerate(lines[start:], start) if line.startswith(("---", "===")))
    failure = [line for line in lines[start:end] if line.strip()]
    assert len(failure) == 1, failure  # one line, no traceback
    assert failure[0].endswith(
        "test_it.yaml: interaction 2: response: field 'status' must be int, got 'OK'"
    )
