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
    def test_it(openai_client):
        assert openai_client.beta.threads.create(metadata={{}}).id == "thread_1"
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


@pytest.mark.parametrize("strict", [False, True])
def test_a_bad_response_never_served_stops_only_a_strict_replay(
    pytester: pytest.Pytester, strict: bool
) -> None:
    _cassette_with_a_bad_second_response(pytester)
    pytester.makepyfile(test_app=TEST_FILE.format(marker="(strict=True)" if strict else ""))

    result = pytester.runpytest("-p", "no:cacheprovider")

    if not strict:
        result.assert_outcomes(passed=1)
        return
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*test_it.yaml: interaction 2: response: field 'status' must be int, got 'OK'"]
    )
    assert "Traceback" not in result.stdout.str()
