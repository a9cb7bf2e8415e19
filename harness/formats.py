"""String formats as tool contracts use them: a checker that asserts `format` (OpenAI's
strict mode enforces date, date-time, time, email, uuid, hostname, ipv4, ipv6; uri is
common), one well-formed example of each, and the almost-valid values models send.

The one home of these facts: the fuzzer's exemplars and near misses and the emulator's
generated arguments (`harness.emulator.engine.string_examples`) read them from here."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime

import jsonschema

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _TIME.match(value):
        return False
    try:
        datetime.fromisoformat("2000-01-01T" + value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _regex_check(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    return lambda value: not isinstance(value, str) or bool(pattern.match(value))


def format_checker() -> jsonschema.FormatChecker:
    """jsonschema's own format checks, with the formats it leaves unchecked (date-time,
    time, uri, hostname without extras) and a stricter email (one `@`, a dotted domain)."""
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(_date_time)
    checker.checks("date")(_date)
    checker.checks("time")(_time)
    checker.checks("email")(_regex_check(_EMAIL))
    checker.checks("uri")(_regex_check(_URI))
    checker.checks("hostname")(_regex_check(_HOSTNAME))
    return checker


EXAMPLES: Mapping[str, str] = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
}
"""One well-formed value per format: the fuzzer's exemplar and the emulator's argument."""

NEAR_MISSES: Mapping[str, tuple[str, ...]] = {
    "date": (
        "2024-02-30",
        "2024-13-01",
        "2024-5-17",
        "2024/05/17",
        "17-05-2024",
        "2024-05-17T10:30:00Z",
        "20240517",
    ),
    "date-time": (
        "2024-05-17",
        "2024-05-17T10:30:00",
        "2024-05-17 10:30:00Z",
        "2024-05-17T25:00:00Z",
        "2024-02-30T10:30:00Z",
        "2024-05-17T10:30Z",
        "10:30:00Z",
    ),
    "time": ("10:30:00", "25:00:00Z", "10:30Z", "10:60:00Z", "2024-05-17T10:30:00Z"),
    "email": (
        "ada@",
        "@example.com",
        "ada.example.com",
        "ada@@example.com",
        "ada @example.com",
        "ada@example",
        "ada@example..com",
    ),
    "uri": ("example.com/a", "/a", "https//example.com", "https://exa mple.com", "://a"),
    "uuid": (
        "123e4567-e89b-42d3-a456-42661417400",
        "123e4567e89b42d3a456426614174000",
        "123e4567-e89b-42d3-a456-42661417400g",
        "{123e4567-e89b-42d3-a456-426614174000}",
        "123e4567-e89b-42d3-a456-4266141740000",
    ),
    "ipv4": ("192.0.2", "192.0.2.256", "192.0.2.1.5", "192.0.2.-1"),
    "ipv6": ("2001:db8::1::1", "2001:db8:::1", "2001:dg8::1", "12345::1"),
    "hostname": ("-example.com", "exa mple.com", "example..com", "example.com-"),
}
"""Almost-valid values per format: one part off, a separator wrong, a part missing."""
