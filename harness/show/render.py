"""A page's data as one self-contained HTML file: the template (`page.html`, shipped with the
package: styles and script inline, nothing fetched) with the data embedded as JSON.

Cassettes are untrusted input. The data goes into a `<script type="application/json">`
element with every `<` written as a JSON escape, so no recorded text can close the
element or open a tag; the page's script builds the DOM from it with `textContent` only.
The title is HTML-escaped. Nothing from a cassette is ever written into markup.
"""

from __future__ import annotations

import functools
import html
from importlib import resources
from typing import Any

import orjson

_DATA = "/*DATA*/"
_TITLE = "<!--TITLE-->"


@functools.cache
def _template() -> tuple[str, str, str]:
    text = resources.files("harness.show").joinpath("page.html").read_text("utf-8")
    head, rest = text.split(_TITLE)
    middle, tail = rest.split(_DATA)
    return head, middle, tail


def embed(data: Any) -> str:
    """`data` as JSON that is safe inside a `<script>` element."""
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    # Only `<` can end script data (`</script`) or open a comment there (`<!--`).
    return raw.replace(b"<", b"\\u003c").decode("utf-8")


def render_page(data: dict[str, Any]) -> str:
    """The HTML page for `data` (`kind`: trace, diff or index; `title`)."""
    head, middle, tail = _template()
    title = html.escape(str(data.get("title") or "harness"), quote=True)
    return f"{head}{title}{middle}{embed(data)}{tail}"
