"""The old name of `tests.support.responses_server`, kept while branches that import it merge."""

from tests.support.responses_server import ResponsesServer, record_app, responses_server

__all__ = ["ResponsesServer", "record_app", "responses_server"]
