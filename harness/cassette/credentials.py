"""What counts as a credential: names, header policy, secret-looking patterns.

One list of credential names serves every place a credential can sit: query
parameters, JSON keys in bodies and metadata, multipart fields, headers and
`name=value` text, compared after normalising case, `-`/`_` and camelCase.
The recorder, replay matching, mismatch messages and `harness verify`/`scrub`
all read these rules from here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

REDACTED = "<redacted>"

# A name is a credential's when, normalised to lower case without separators,
# it ends with one of these (`x-api-key`, `clientSecret`, `DB_PASSWORD`, ...):
# no ordinary field name ends this way.
CREDENTIAL_SUFFIXES: tuple[str, ...] = (
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
    "secret",
    "credential",
    "credentials",
    "accesstoken",
    "refreshtoken",
    "authtoken",
    "idtoken",
    "sessiontoken",
    "bearertoken",
)
# ... or when its last word is one of these (`token`, `access_token`, `AuthToken`,
# `Cookie`): as a word, not the end of another word (`mytoken` is not one).
CREDENTIAL_WORDS: frozenset[str] = frozenset(
    {"token", "auth", "authorization", "cookie", "sig", "pwd", "jwt", "bearer"}
)
# `*_token` names that count text, not secrets (`input_token`, `eos_token`).
_DATA_TOKEN_WORDS = frozenset(
    {
        "input",
        "output",
        "prompt",
        "completion",
        "max",
        "min",
        "total",
        "reasoning",
        "cached",
        "stop",
        "bos",
        "eos",
        "pad",
        "unk",
        "sep",
        "cls",
        "mask",
        "special",
        "start",
        "end",
        "first",
        "last",
    }
)
# Keys that make an object a logprob entry: its `token` is the text the model wrote.
_LOGPROB_KEYS = frozenset({"logprob", "toplogprobs", "bytes"})
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
    """Whether a field, parameter or header of this name holds a credential: the name
    ends in a credential's name as a whole word (`access_token`, `DB_PASSWORD`,
    `xApiKey`), not as the end of another word (`max_tokens`, `mytoken`)."""
    key = normalise(name)
    if not key:
        return False
    if query and key in QUERY_ONLY_NAMES:
        return True
    if key.endswith(CREDENTIAL_SUFFIXES):
        return True
    words = [word.lower() for word in _NAME_WORDS.findall(name)]
    if not words or words[-1] not in CREDENTIAL_WORDS:
        return False
    return not (words[-1] == "token" and len(words) > 1 and words[-2] in _DATA_TOKEN_WORDS)


def is_credential_field(name: str, siblings: Iterable[object]) -> bool:
    """A JSON key holding a credential, given the other keys of its object: `token`
    next to `logprob` is the text a model wrote (Responses logprobs), not a secret."""
    if not is_credential_name(name):
        return False
    if normalise(name) != "token":
        return True
    return not any(isinstance(k, str) and normalise(k) in _LOGPROB_KEYS for k in siblings)


_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


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


# Secret-looking text: kind, regular expression, and the lower-case text one of
# which any match contains (a quick test that lets most strings skip the
# expressions). Where the expression has a group named `s`, only that group is
# the secret (`Authorization: Token <s>`, `postgres://user:<s>@host`).
# Random-looking text with no provider's shape (a uuid's hex, an MD5) is data:
# it is removed only where it was learned as a credential.
PATTERNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("OpenAI key", r"\bsk-[A-Za-z0-9_\-]{8,}", ("sk-",)),
    ("Stripe key", r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}", ("k_live_", "k_test_")),
    ("bearer token", r"(?i:bearer)\s+(?P<s>[A-Za-z0-9_\-.=+/~]{8,})", ("bearer",)),
    (
        "Authorization header",
        r"(?i:authorization)[\"']?[ \t]*[:=][ \t]*[\"']?(?:[A-Za-z][\w\-]*[ \t]+)?"
        r"(?P<s>[A-Za-z0-9_\-.=+/~:]{6,})",
        ("authorization",),
    ),
    (
        "password in a URL",
        r"\b[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^\s/?#@:\"'<>]*:(?P<s>[^\s/?#\"'<>]+)@",
        ("://",),
    ),
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
    ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{20,}", ("github_pat_",)),
    ("GitLab token", r"\bgl(?:pat|dt|rt|ptt|cbt)-[A-Za-z0-9_\-]{20,}", ("gl",)),
    ("Slack token", r"\bxox[abposre]-[A-Za-z0-9\-]{10,}", ("xox",)),
    ("Slack token", r"\bxapp-[A-Za-z0-9\-]{10,}", ("xapp-",)),
    (
        "Slack webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9_/\-]{8,})",
        ("hooks.slack.com",),
    ),
    (
        "Discord webhook",
        r"discord(?:app)?\.com/api/webhooks/(?P<s>[0-9]+/[A-Za-z0-9_\-]{8,})",
        ("/api/webhooks/",),
    ),
    ("Teams webhook", r"\.webhook\.office\.com/(?P<s>\S{16,})", (".webhook.office.com",)),
    ("Google API key", r"\bAIza[0-9A-Za-z_\-]{35}", ("aiza",)),
    ("Google OAuth token", r"\bya29\.[A-Za-z0-9_\-]{20,}", ("ya29.",)),
    ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}", ("hf_",)),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    ("PyPI token", r"\bpypi-AgE[A-Za-z0-9_\-]{20,}", ("pypi-age",)),
    ("SendGrid key", r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}", ("sg.",)),
    ("DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}", ("_v1_",)),
    ("Shopify token", r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}", ("shp",)),
    ("Databricks token", r"\bdapi[0-9a-f]{32}", ("dapi",)),
    (
        "private key",
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[\s\S]{0,16384}?-----END [A-Z ]*PRIVATE KEY-----"
        r"|[A-Za-z0-9+/=\s\\]*)",
        ("-----begin",),
    ),
)
# Every credential name contains one of these (normalised): a quick test for
# text that might hold `name=value` pairs.
NAME_FRAGMENTS = (
    "key",
    "pass",
    "pwd",
    "secret",
    "token",
    "auth",
    "credential",
    "cookie",
    "sig",
    "jwt",
    "bearer",
)

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
