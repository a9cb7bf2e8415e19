"""Cassettes: the file format, the value objects it holds, and reading and writing files.

Replay and recording themselves (`session`, `interception`, `player`, `recorder`)
are driven by the pytest plugin; tools read and write cassettes through these.
"""

from harness.cassette.format import dumps, loads
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.storage import read_cassette, write_cassette

__all__ = [
    "Cassette",
    "Interaction",
    "Request",
    "Response",
    "dumps",
    "loads",
    "read_cassette",
    "write_cassette",
]
