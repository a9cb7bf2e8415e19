"""What counts as a credential: names, header policy, secret-looking patterns.

One list of credential names serves every place a credential can sit: query
parameters, JSON keys in bodies and metadata, multipart fields, headers and
`name=value` text, compared after normalising case, `-`/`_` and camelCase.
The recorder, replay matching, mismatch messages and `harness verify`/`scrub`
all read these rules from here.
"""

from __future__ import annotations

import re
from functools import lru_cache

REDACTED = "<redacted>"

# A name is a credential's when, normalised to lower case without separators,
# it ends with one of these (`x-api-key`, `clientSecret`, `AUTH_TOKEN`, ...).
CREDENTIAL_NAMES: tuple[str, ...] = (
    "apikey",
    "subscriptionkey",
    "accesskey",
    "secretkey",
    "privatekey",
    "signingkey",
    "accountkey",
    "masterkey",
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",
    "token",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "cookie",
    "sig",
)
# Credentials only as a query parameter or header: in JSON, `key` names an
# attribute (vector store file filters), not a secret.
QUERY_ONLY_NAMES: frozenset[str] = frozenset({"key"})

# Headers a cassette keeps: what the Assistants protocol needs to replay.
PROTOCOL_REQUEST_HEADERS = frozenset(
    {
        "content-type",
        "openai-beta",
        "x-stainless-helper-method",
        "x-stainless-poll-helper",
        "x-stainless-stream-helper",
    }
)
PROTOCOL_RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "openai-poll-after-ms",
        "retry-after",
        "retry-after-ms",
        "x-should-retry",
    }
)
# Not credential-named, but they name the account: learned and dropped.
IDENTITY_HEADERS = frozenset({"openai-organization", "openai-project"})
# What the SDK, HTTP clients and tracing send on their own: dropped, never
# learned (a fresh trace id per request would make every request teach a new
# "secret"). Every other request header (a custom auth header, say) is learned.
_CLIENT_REQUEST_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "connection",
        "content-length",
        "host",
        "user-agent",
        "te",
        "expect",
        "transfer-encoding",
        "idempotency-key",
        "traceparent",
        "tracestate",
        "baggage",
        "sentry-trace",
        "x-request-id",
        "x-correlation-id",
        "x-amzn-trace-id",
        "x-cloud-trace-context",
    }
)
_CLIENT_HEADER_PREFIXES = ("x-stainless-", "x-b3-", "x-datadog-")


@lru_cache(maxsize=4096)
def normalise(name: str) -> str:
    """`X-Api-Key`, `x_api_key`, `xApiKey` -> `xapikey`."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@lru_cache(maxsize=4096)
def is_credential_name(name: str, *, query: bool = False) -> bool:
    """Whether a field, parameter or header of this name holds a credential."""
    key = normalise(name)
    if not key:
        return False
    if query and key in QUERY_ONLY_NAMES:
        return True
    return key.endswith(CREDENTIAL_NAMES)


@lru_cache(maxsize=1024)
def learns_request_header(name: str) -> bool:
    """A request header whose value is learned as a secret (and then dropped)."""
    name = name.lower()
    if name in PROTOCOL_REQUEST_HEADERS or name in _CLIENT_REQUEST_HEADERS:
        return False
    return not name.startswith(_CLIENT_HEADER_PREFIXES)


@lru_cache(maxsize=1024)
def learns_response_header(name: str) -> bool:
    """A response header whose value is learned as a secret (and then dropped)."""
    name = name.lower()
    return name in IDENTITY_HEADERS or is_credential_name(name, query=True)


# Secret-looking text: kind, regular expression (without groups), and the
# lower-case text one of which any match contains (a quick test that lets
# most strings skip the expressions; empty: always run it).
PATTERNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("OpenAI key", r"\bsk-[A-Za-z0-9_\-]{8,}", ("sk-",)),
    ("bearer token", r"(?i:bearer)\s+[A-Za-z0-9_\-.=+/~]{8,}", ("bearer",)),
    ("session id", r"\bsess-[A-Za-z0-9]{16,}", ("sess-",)),
    ("organization id", r"\borg-[A-Za-z0-9]{16,}", ("org-",)),
    ("project id", r"\bproj_[A-Za-z0-9]{16,}", ("proj_",)),
    (
        "JWT",
        r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        ("eyj",),
    ),
    ("AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", ("akia", "asia")),
    ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{30,}", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9\-]{10,}", ("xox",)),
    ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}", ("aiza",)),
    ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----", ("-----begin",)),
    # Azure OpenAI keys as the portal issues them: 32 hex digits standing alone
    # (`spans` also wants a digit and a letter in them).
    ("Azure key", r"(?<![\w\-])(?:[0-9a-f]{32}|[0-9A-F]{32})(?![\w\-])", ()),
)
# Every credential name contains one of these (normalised): a quick test for
# text that might hold `name=value` pairs.
NAME_FRAGMENTS = ("key", "pass", "pwd", "secret", "token", "auth", "credential", "cookie", "sig")

# Learned values must look like secrets before they are searched for inside
# other text: `openai-organization: assistant` must not turn `/assistants`
# into `/<redacted>s`. Shorter or word-like values are only replaced where a
# whole field equals them; ordinary words never.
SUBSTRING_MIN = 8
WHOLE_FIELD_MIN = 4
_WORDS = re.compile(r"[A-Za-z]+(?:[ _.\-/:][A-Za-z]+)*")
_WORD = re.compile(r"[a-z]+|[A-Z][a-z]*|[A-Z]+")
_NUMERIC = re.compile(r"[\d\s.,:/+\-]+")


def looks_like_words(value: str) -> bool:
    """Letters in ordinary case (`assistant`, `Bearer`, `harness-replay-key`)."""
    if not _WORDS.fullmatch(value):
        return False
    return all(_WORD.fullmatch(run) for run in re.findall(r"[A-Za-z]+", value))


def substring_safe(value: str) -> bool:
    """A learned value distinctive enough to be removed wherever it occurs."""
    return (
        len(value) >= SUBSTRING_MIN
        and not looks_like_words(value)
        and not _NUMERIC.fullmatch(value)
        and REDACTED not in value
    )


def whole_field_safe(value: str) -> bool:
    """A learned value that may replace a field that equals it exactly."""
    return len(value) >= WHOLE_FIELD_MIN and not looks_like_words(value) and value != REDACTED
