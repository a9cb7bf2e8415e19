"""Who may talk to the emulator: the Host it answers, the browser origins it refuses, the token.

The emulator runs code from messages (code_interpreter), so a web page must
not be able to drive it. Three rules, checked before anything else:

- `Host` must name loopback (`localhost`, `127.0.0.1` or any loopback IP,
  `[::1]`, with any port), the address it was told to bind, a name given with
  `--allow-host`, or, when bound to a wildcard address (`0.0.0.0`, `::`), any
  IP literal. Anything else is a 400: a DNS-rebinding page sends its own
  domain name as `Host`.
- A request with an `Origin` that is not such a host (including `null`), or
  without one but marked `Sec-Fetch-Site: cross-site`, is refused with a 403,
  whatever its path and method. SDKs and other programs send no `Origin`; a
  page from elsewhere has no business with a local server that executes code.
- Bound beyond loopback, `/_emulator/*` needs the server's token in the
  `X-Emulator-Token` header (401 otherwise).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from harness.emulator.errors import ApiError
from harness.emulator.http.handlers import error_response

TOKEN_HEADER = "x-emulator-token"
CONTROL_PREFIX = "/_emulator/"
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "127.0.0.1", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(host: str) -> bool:
    """Whether a host name or address (without port) names this machine's loopback."""
    name = host.strip("[]").lower()
    address = _ip(name)
    return name in LOOPBACK_NAMES or (address is not None and address.is_loopback)


def _hostname(authority: str) -> str | None:
    """The host of `host[:port]` (IPv6 in brackets), lowercased; None when malformed."""
    try:
        parts = urlsplit("//" + authority)
        return parts.hostname if parts.hostname and not parts.username else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Boundary:
    """The rules for one server: the address it binds, extra names, and its control token."""

    bind_host: str = "127.0.0.1"
    allowed_hosts: frozenset[str] = frozenset()
    token: str | None = None

    @classmethod
    def for_bind(cls, host: str, allowed_hosts: tuple[str, ...] | list[str] = ()) -> Boundary:
        """Loopback needs no token; any other bind address gets a fresh one."""
        token = None if is_loopback(host) else secrets.token_urlsafe(32)
        names = frozenset(name.strip("[]").lower() for name in allowed_hosts)
        return cls(host, names, token)

    @property
    def loopback(self) -> bool:
        return is_loopback(self.bind_host)

    def host_allowed(self, name: str) -> bool:
        name = name.strip("[]").lower()
        if is_loopback(name) or name in self.allowed_hosts:
            return True
        bound = self.bind_host.strip("[]").lower()
        if bound in WILDCARDS:
            return _ip(name) is not None  # no DNS name can be rebound onto an IP literal
        return name == bound

    def refusal(self, method: str, path: str, headers: dict[str, str]) -> ApiError | None:
        """Why this request must not be served, or None."""
        host = _hostname(headers.get("host", ""))
        if host is None or not self.host_allowed(host):
            shown = headers.get("host", "")[:100]
            return ApiError(
                400,
                f"Host '{shown}' is not served: the emulator answers only loopback names "
                "(localhost, 127.0.0.1, [::1]) and the address it binds; start it with "
                "--allow-host NAME to add a name.",
                code="host_not_allowed",
            )
        origin = headers.get("origin")
        if origin is not None:
            origin_host = _hostname(urlsplit(origin).netloc) if "://" in origin else None
            if origin_host is None or not self.host_allowed(origin_host):
                return ApiError(
                    403,
                    f"Cross-origin request from '{origin[:100]}' refused: the emulator serves "
                    "programs and pages of its own hosts, not other web pages.",
                    code="origin_not_allowed",
                )
        elif headers.get("sec-fetch-site") == "cross-site":
            return ApiError(
                403, "Cross-site request refused by the emulator.", code="origin_not_allowed"
            )
        if self.token is not None and path.startswith(CONTROL_PREFIX):
            given = headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return ApiError(
                    401,
                    f"{method} {path} needs the emulator's control token in the "
                    "X-Emulator-Token header (printed when the emulator started).",
                    type="authentication_error",
                    code="invalid_control_token",
                )
        return None


class BoundaryMiddleware:
    """ASGI middleware applying a `Boundary` to every HTTP request."""

    def __init__(self, app: Any, boundary: Boundary) -> None:
        self.app = app
        self.boundary = boundary

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {
                key.decode("latin-1").lower(): value.decode("latin-1")
                for key, value in scope.get("headers", [])
            }
            refusal = self.boundary.refusal(scope["method"], scope["path"], headers)
            if refusal is not None:
                response = error_response(refusal, time.monotonic())
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
