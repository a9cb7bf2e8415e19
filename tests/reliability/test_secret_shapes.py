"""Secrets a developer pastes, found by their shape, removed whole, and nothing else.

The attack: free text and files holding each shape a secret takes when people
paste it (provider tokens, credential-file and `.env` assignments quoted or not,
URL passwords, webhook URLs, `Authorization` schemes). Each is removed whole
(`DB_PASSWORD=Tr0ub4dor&3xyz` never becomes `<redacted>&3xyz`), through
recording (a message and an uploaded `.env` file, downloaded and pasted back),
and `harness verify` finds each one in a cassette that kept it. From the other
side: random-looking data (a uuid's hex, an MD5, a SHA-256) and a logprob's
`token` are data, kept as they are, and replay with them passes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import string
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cassette.credentials import REDACTED
from harness.cassette.format import dumps
from harness.cassette.model import Cassette, Interaction, Request, Response
from harness.cassette.redact import Redactor
from harness.config import environment_secrets
from harness.verify import verify_main
from tests.reliability.attack import cassette_text, plant, record_then_replay
from tests.reliability.leaks import assert_no_leaks, leaks

_ALNUM = string.ascii_letters + string.digits


def _random(size: int, alphabet: str = _ALNUM) -> str:
    # Always a digit and a letter in it: a secret, never a word.
    return (
        secrets.choice("ABCDEF")
        + secrets.choice("123456789")
        + "".join(secrets.choice(alphabet) for _ in range(size - 2))
    )


def _private_key() -> tuple[str, str]:
    body = "\n".join(_random(64, _ALNUM + "+/") for _ in range(3))
    begin, end = "-----BEGIN " + "RSA PRIVATE KEY-----", "-----END " + "RSA PRIVATE KEY-----"
    block = f"{begin}\n{body}\n{end}"
    return block, f"key file:\n{block}\nend of key"


def _basic() -> tuple[str, str]:
    token = base64.b64encode(f"deploy:{_random(20)}".encode()).decode()
    return token, f"Authorization: Basic {token}"


def _shape(
    prefix: str, size: int, template: str, alphabet: str = _ALNUM
) -> Callable[[], tuple[str, str]]:
    def make() -> tuple[str, str]:
        secret = prefix + _random(size, alphabet)
        return secret, template.format(s=secret)

    return make


# shape -> a fresh (secret, the text that holds it); the secret is what must go, whole.
SHAPES: dict[str, Callable[[], tuple[str, str]]] = {
    "GitHub fine-grained token": _shape(
        "github" + "_pat_", 82, "use {s} for the API", _ALNUM + "_"
    ),
    "GitHub classic token": _shape("gh" + "p_", 36, "GH_TOKEN is {s}"),
    "OpenAI project key": _shape("sk-" + "proj-", 40, "the key {s} works"),
    "Stripe live key": _shape("sk_" + "live_", 24, "stripe: {s}"),
    "AWS access key id": _shape(
        "AK" + "IA", 16, "id {s} (rotated)", string.ascii_uppercase + "234567"
    ),
    "AWS credentials file": _shape(
        "", 40, "[default]\naws_secret_access_key = {s}\nregion = eu-west-1", _ALNUM + "/+"
    ),
    "dotenv, quoted": _shape("Tr0ub4dor&3", 12, 'DB_PASSWORD="{s}"'),
    "dotenv, unquoted with &": _shape("Tr0ub4dor&3", 12, "DB_PASSWORD={s}\nDEBUG=1"),
    "dotenv, export": _shape("", 30, "export GITHUB_TOKEN={s}"),
    "YAML password": _shape("", 20, 'db:\n  password: "{s}"\n  user: app'),
    "YAML unquoted": _shape("", 20, "db:\n  password: {s}\n  user: app"),
    "secret = value": _shape("", 24, "secret = {s}"),
    "api_key in single quotes": _shape("", 24, "api_key='{s}'"),
    "Python dict": _shape("", 24, "config = {{'client_secret': '{s}'}}"),
    "JSON text": _shape("", 24, '{{"refresh_token": "{s}", "scope": "read"}}'),
    "Authorization: Token": _shape("", 40, "Authorization: Token {s}"),
    "Authorization: Bearer": _shape("", 40, "curl -H 'Authorization: Bearer {s}' https://x"),
    "Authorization: Basic": _basic,
    "URL password": _shape("", 20, "DATABASE_URL=postgres://admin:{s}@db.internal:5432/app"),
    "URL password in prose": _shape("", 20, "connect to redis://:{s}@cache:6379/0 first"),
    "Slack bot token": _shape("xo" + "xb-", 40, "slack {s}", _ALNUM + "-"),
    "Slack webhook": _shape(
        "", 44, "post to https://hooks.slack.com/services/{s} now", string.ascii_uppercase + "/"
    ),
    "Hugging Face token": _shape("h" + "f_", 34, "HF: {s}"),
    "private key": _private_key,
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_removed_whole_and_only_it(shape: str) -> None:
    secret, text = SHAPES[shape]()
    assert Redactor().text(text) == text.replace(secret, REDACTED)


@pytest.mark.parametrize("shape", SHAPES)
def test_verify_finds_each_shape_in_a_cassette_that_kept_it(tmp_path: Path, shape: str) -> None:
    secret, text = SHAPES[shape]()
    request = Request("POST", "/threads/t/messages", body={"role": "user", "content": text})
    response = Response(200, {"content-type": "application/json"}, {"id": "msg_1"})
    path = tmp_path / "kept.yaml"
    path.write_text(
        dumps(Cassette(meta={"base_path": "/v1"}, interactions=[Interaction(request, response)]))
    )
    report = io.StringIO()
    assert verify_main([str(path)], [], out=report) == 1, report.getvalue()
    assert "possible secret" in report.getvalue()
    assert leaks(report.getvalue(), {shape: secret}) == []


INNER = textwrap.dedent(
    """
    import json
    from pathlib import Path

    import openai
    import pytest

    S = json.loads((Path(__file__).parent / "secrets.json").read_text())


    @pytest.mark.assistants_cassette
    def test_pasted():
        client = openai.OpenAI(max_retries=0)
        uploaded = client.files.create(file=(".env", S["text"].encode()), purpose="assistants")
        downloaded = client.files.content(uploaded.id).text
        thread = client.beta.threads.create(metadata=S["metadata"])
        client.beta.threads.messages.create(thread.id, role="user", content=S["text"])
        client.beta.threads.messages.create(thread.id, role="user", content=downloaded)
        listed = client.beta.threads.messages.list(thread.id)
        assert len(listed.data) == 2
        assert client.beta.threads.retrieve(thread.id).metadata == S["metadata"]
    """
)


def test_every_shape_pasted_into_a_message_and_a_file_never_reaches_the_cassette(
    pytester: pytest.Pytester,
) -> None:
    made = {shape: make() for shape, make in SHAPES.items()}
    text = "\n".join(text for _, text in made.values())
    metadata = {
        "run_uuid": uuid.uuid4().hex,
        "md5": hashlib.md5(b"report.pdf").hexdigest(),
        "sha256": hashlib.sha256(b"report.pdf").hexdigest()[:64],
    }
    plant(pytester, INNER, {"text": text, "metadata": metadata})
    runs = record_then_replay(pytester, "emulator", passed=1)
    planted = {shape: secret for shape, (secret, _) in made.items()}
    assert_no_leaks(runs.cassettes, runs.output, planted)
    kept = cassette_text(runs)
    for value in metadata.values():  # data that only looks random: kept, and replay passed
        assert value in kept


def test_a_logprob_token_is_data_and_an_access_token_is_a_secret() -> None:
    token = "sk" + "-" + _random(30)  # even a key-like text the model wrote stays its own field
    body = {
        "output": [
            {
                "content": [
                    {
                        "type": "output_text",
                        "text": "Hello",
                        "logprobs": [
                            {"token": "Hello", "logprob": -0.1, "bytes": [72], "top_logprobs": []}
                        ],
                    }
                ]
            }
        ],
        "access_token": _random(24),
        "auth": {"token": _random(24)},
        "usage": {"input_tokens": 5, "output_tokens": 7},
        "max_token": "Zz9" + _random(10),
    }
    redacted = Redactor().data(body)
    assert redacted["output"] == body["output"]
    assert redacted["access_token"] == REDACTED
    assert redacted["auth"] == {"token": REDACTED}
    assert redacted["usage"] == body["usage"]
    assert redacted["max_token"] == body["max_token"]
    # The same as JSON text (a tool output, an event's data).
    assert json.loads(Redactor().text(json.dumps(body)))["output"] == body["output"]
    assert token  # a key-shaped value elsewhere is still a key
    assert Redactor().text(f"note {token}") == f"note {REDACTED}"


@pytest.mark.parametrize(
    "make",
    [
        lambda: uuid.uuid4().hex,
        lambda: hashlib.md5(uuid.uuid4().bytes).hexdigest(),
        lambda: hashlib.md5(uuid.uuid4().bytes).hexdigest().upper(),
        lambda: hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        lambda: hashlib.sha1(uuid.uuid4().bytes).hexdigest(),
    ],
    ids=["uuid4-hex", "md5", "MD5", "sha256", "sha1"],
)
def test_random_looking_data_is_kept_unless_learned(make: Callable[[], str]) -> None:
    value = make()
    body = {"metadata": {"checksum": value}, "content": f"file {value} uploaded"}
    assert Redactor().data(body) == body
    learned = Redactor().learning([value]).data(body)
    assert value not in json.dumps(learned)


def test_a_credential_named_variable_is_redacted_in_any_encoding_wherever_it_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model brain's key in `MODEL_API_KEY`, a `GH_TOKEN`: a 401 body quoting either
    back, even as hex, is found by the recorder and by `verify` (one rule set)."""
    key, token = _random(40), _random(36)
    monkeypatch.setenv("MODEL_API_KEY", key)
    monkeypatch.setenv("GH_TOKEN", token)
    environ = {"MODEL_API_KEY": key, "GH_TOKEN": token, "PWD": "/work/x", "USE_AUTH": "yes"}
    assert set(environment_secrets(environ)) == {key, token}
    body = {"error": {"message": f"bad key {key.encode().hex()}; token {token}"}}
    assert Redactor.build(environment_secrets(environ)).data(body) == {
        "error": {"message": f"bad key {REDACTED}; token {REDACTED}"}
    }
    request = Request("POST", "/threads/t/runs", body={"assistant_id": "asst_1"})
    response = Response(401, {"content-type": "application/json"}, body)
    path = tmp_path / "echo.yaml"
    path.write_text(
        dumps(Cassette(meta={"base_path": "/v1"}, interactions=[Interaction(request, response)]))
    )
    report = io.StringIO()
    assert verify_main([str(path)], [], out=report) == 1
    assert "2 possible secret(s) in 1 of 1 file(s)" in report.getvalue()
