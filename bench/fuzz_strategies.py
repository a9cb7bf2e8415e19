"""Valid examples generated per second by `harness.fuzz.valid_arguments`.

    python bench/fuzz_strategies.py [--examples N] [--hjs-python PATH]

Schemas: the seed's `display_quiz`, a nested schema with `$defs`, and the
same with a recursive `$ref`. Every example is checked with `jsonschema`; the
rate counts valid examples only. With `--hjs-python` (or the environment
variable HARNESS_BENCH_HJS_PYTHON) naming the python of a virtualenv that
has hypothesis-jsonschema and a Hypothesis it still works with (0.23.1 works
up to hypothesis 6.170.9; 6.170.10 and later fail with `'many' object has no
attribute 'more'`), its `from_schema` is measured in the same run, in a
subprocess, with the same settings:

    python3 -m venv /tmp/hjs
    /tmp/hjs/bin/pip install hypothesis-jsonschema==0.23.1 'hypothesis==6.170.9' jsonschema
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

QUIZ: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "scenarios" / "tools" / "display_quiz.json").read_text()
)["parameters"]

_CMP = {
    "type": "object",
    "properties": {
        "field": {"type": "string", "pattern": "^[a-z_]{1,20}$"},
        "op": {"type": "string", "enum": ["eq", "lt", "gt"]},
        "value": {"type": ["string", "number", "boolean", "null"]},
    },
    "required": ["field", "op", "value"],
    "additionalProperties": False,
}
_SORT = {
    "type": "object",
    "properties": {"field": {"type": "string"}, "desc": {"type": "boolean"}},
    "required": ["field", "desc"],
    "additionalProperties": False,
}


def _search(expr: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "filter": expr,
            "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 100},
            "sort": {"type": "array", "items": {"$ref": "#/$defs/sort_key"}, "maxItems": 3},
        },
        "required": ["filter", "limit", "sort"],
        "additionalProperties": False,
        "$defs": {"cmp": _CMP, "sort_key": _SORT, **defs},
    }


NESTED = _search(
    {"anyOf": [{"$ref": "#/$defs/cmp"}, {"$ref": "#/$defs/group"}]},
    {
        "group": {
            "type": "object",
            "properties": {
                "all": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/cmp"},
                    "minItems": 1,
                    "maxItems": 3,
                }
            },
            "required": ["all"],
            "additionalProperties": False,
        }
    },
)
RECURSIVE = _search(
    {"$ref": "#/$defs/expr"},
    {
        "expr": {"anyOf": [{"$ref": "#/$defs/cmp"}, {"$ref": "#/$defs/group"}]},
        "group": {
            "type": "object",
            "properties": {
                "all": {
                    "type": "array",
                    "items": {"$ref": "#/$defs/expr"},
                    "minItems": 1,
                    "maxItems": 3,
                }
            },
            "required": ["all"],
            "additionalProperties": False,
        },
    },
)
SCHEMAS = {"display_quiz": QUIZ, "nested $defs": NESTED, "nested $defs + recursive $ref": RECURSIVE}

# Runs in either interpreter: times one strategy factory over the schemas on stdin.
MEASURE = r"""
import json, sys, time
import jsonschema
from hypothesis import HealthCheck, Phase, given, settings

def measure(make, schemas, examples):
    results = {}
    for name, schema in schemas.items():
        try:
            strategy = make(schema)
            check = jsonschema.Draft202012Validator(schema)
            counts = {"valid": 0, "invalid": 0}

            @settings(max_examples=examples, database=None, deadline=None, derandomize=True,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(strategy)
            def run(value):
                counts["valid" if check.is_valid(value) else "invalid"] += 1

            start = time.perf_counter()
            run()
            elapsed = time.perf_counter() - start
            results[name] = {"rate": counts["valid"] / elapsed, **counts}
        except Exception as exc:
            first = str(exc).splitlines()[0].split(" in schema=")[0][:90]
            results[name] = {"error": f"{type(exc).__name__}: {first}"}
    return results
"""

HJS_MAIN = r"""
import hypothesis
from hypothesis_jsonschema import from_schema
payload = json.load(sys.stdin)
print(json.dumps({"hypothesis": hypothesis.__version__,
                  "results": measure(from_schema, payload["schemas"], payload["examples"])}))
"""


def measure_harness(examples: int) -> dict[str, Any]:
    from harness.fuzz import compile_schema

    scope: dict[str, Any] = {}
    exec(MEASURE, scope)
    return dict(scope["measure"](compile_schema, SCHEMAS, examples))


def measure_hjs(python: str | None, examples: int) -> tuple[str, dict[str, Any]]:
    if not python:
        return "", {
            name: {
                "error": "not measured: no hypothesis-jsonschema virtualenv given (--hjs-python)"
            }
            for name in SCHEMAS
        }
    try:
        done = subprocess.run(
            [python, "-c", MEASURE + HJS_MAIN],
            input=json.dumps({"schemas": SCHEMAS, "examples": examples}),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        report = json.loads(done.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        why = getattr(exc, "stderr", "") or str(exc)
        line = why.strip().splitlines()[-1] if why.strip() else type(exc).__name__
        return "", {name: {"error": f"not measured: {line}"} for name in SCHEMAS}
    return str(report["hypothesis"]), dict(report["results"])


def _cell(result: dict[str, Any]) -> str:
    if "error" in result:
        return (
            result["error"]
            if result["error"].startswith("not measured")
            else f"not measured: {result['error']}"
        )
    invalid = f" ({result['invalid']} invalid!)" if result["invalid"] else ""
    return f"{result['rate']:8.0f}/s{invalid}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", type=int, default=500, help="examples per schema (default 500)"
    )
    parser.add_argument("--hjs-python", default=os.environ.get("HARNESS_BENCH_HJS_PYTHON"))
    options = parser.parse_args()

    import hypothesis

    ours = measure_harness(options.examples)
    hjs_version, theirs = measure_hjs(options.hjs_python, options.examples)
    print(f"valid examples per second, {options.examples} examples per schema, generate phase only")
    print(
        f"  harness.fuzz: Hypothesis {hypothesis.__version__} (this interpreter: {sys.executable})"
    )
    if hjs_version:
        print(
            f"  hypothesis-jsonschema from_schema: Hypothesis {hjs_version} ({options.hjs_python})"
        )
    print()
    width = max(len(name) for name in SCHEMAS) + 2
    print(f"{'schema':<{width}}{'harness.fuzz':>14}   hypothesis-jsonschema      ratio")
    for name in SCHEMAS:
        mine, other = ours[name], theirs[name]
        ratio = ""
        if "rate" in mine and "rate" in other and other["rate"]:
            ratio = f"{mine['rate'] / other['rate']:.2f}x"
        print(f"{name:<{width}}{_cell(mine):>14}   {_cell(other):<26} {ratio}")


if __name__ == "__main__":
    main()
