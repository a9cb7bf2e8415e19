"""The ends of runs and responses the rest of the harness names come from the lifecycles."""

from __future__ import annotations

from harness import api


def test_the_unsuccessful_ends_are_the_terminal_statuses_but_completed() -> None:
    assert set(api.UNSUCCESSFUL_RUN_ENDS) == api.TERMINAL_RUN_STATUSES - {"completed"}
    assert set(api.UNSUCCESSFUL_RESPONSE_ENDS) == api.TERMINAL_RESPONSE_STATUSES - {"completed"}
    assert set(api.UNSUCCESSFUL_RUN_ENDS) | {"cancelled"} == api.UNSUCCESSFUL_ENDS
    # a cancel request is the only way into them
    for status in api.CANCEL_STATUSES:
        assert api.reachable(api.RUN_EDGES, "in_progress", status, frozenset({"cancel"}))
        assert not api.reachable(api.RUN_EDGES, "in_progress", status, frozenset())


def test_the_paths_follow_the_api_base() -> None:
    assert api.OPENAI_BASE_URL.endswith(api.API_PATH)
    assert api.AZURE_V1_PATH == api.AZURE_PATH + api.API_PATH
    assert api.match("GET", "/threads/thread_1/runs/run_1") is not None
