"""Recognising a ``<message>`` error response in the bytes the API sent.

The client layer does not use the parser (it sits below it), and needs only this: does the
document start with ``<message``, and what are its text and code? The code comes as an
attribute ``code`` or a child ``<code>`` (``docs/report-format.md``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import NamedTuple

# what may precede the root element: a BOM, an XML declaration, comments, white space
_PROLOGUE = re.compile(rb"(?:\xef\xbb\xbf)?(?:\s+|<\?xml[^>]{0,1000}\?>|<!--.*?-->)*", re.S)
_START = re.compile(rb"<message(?=[\s/>])([^>]{0,4096}?)(/?)>")
_CODE_ATTR = re.compile(rb"""\bcode\s*=\s*["']\s*(\d{1,9})\s*["']""")
_CODE_CHILD = re.compile(rb"<code(?:\s[^<>]*)?>\s*(\d{1,9})\s*</code\s*>")
# [^<>]: a scan stops at the next '<', so hostile input costs linear time
_TAG = re.compile(r"<[^<>]*>")
#: a CDATA section: its text counts as text (escaped, so that tag removal leaves it alone)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
#: the longest error response looked at
MAX_MESSAGE = 64 << 10


class Message(NamedTuple):
    """A ``<message>`` response: its text and its code (None when it carries none)."""

    text: str
    code: int | None


def find_message(body: bytes, redact: Callable[[str], str] | None = None) -> Message | None:
    """The ``<message>`` error response in ``body``, or None when ``body`` is not one.

    ``redact``, when given, masks secrets in the message before anything else touches it:
    removing tags, unescaping entities and squeezing white space could otherwise turn a
    secret echoed by the server into a form that no longer matches it. It is applied again
    after each of those steps.

    Examples
    --------
    >>> find_message(b"<message>Invalid email or password supplied. Email:</message>")
    Message(text='Invalid email or password supplied. Email:', code=None)
    >>> find_message(b'<?xml version="1.0"?>\\n<message code="401">Denied &amp; logged</message>')
    Message(text='Denied & logged', code=401)
    >>> find_message(b"<message><code>403</code>Forbidden</message>")
    Message(text='Forbidden', code=403)
    >>> find_message(b"<reports><report/></reports>") is None
    True
    """
    head = body[:MAX_MESSAGE]
    prologue = _PROLOGUE.match(head)
    start = _START.match(head, prologue.end() if prologue else 0)
    if start is None:
        return None
    attrs, closed = start.group(1), start.group(2)
    code_match = _CODE_ATTR.search(attrs)
    inner = b""
    if not closed:
        rest = head[start.end() :]
        stop = rest.find(b"</message")
        inner = rest if stop < 0 else rest[:stop]
    if code_match is None:
        code_match = _CODE_CHILD.search(inner)
    mask = redact if redact is not None else _unchanged
    raw = mask(inner.decode("utf-8", "replace"))
    content = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), _without_code(raw))
    # tags apart (a space), or joined (nothing): "Hun<b>ter2</b>" shows "Hunter2" only joined
    joined = " ".join(html.unescape(_TAG.sub("", content)).split())
    masked = mask(joined)
    if masked != joined:
        text = masked
    else:
        stripped = mask(_TAG.sub(" ", content))
        text = mask(" ".join(mask(html.unescape(stripped)).split()))
    return Message(text, int(code_match.group(1)) if code_match else None)


def _unchanged(text: str) -> str:
    return text


def _without_code(inner: str) -> str:
    """``inner`` without its ``<code>...</code>`` children (in linear time)."""
    kept, pos = [], 0
    while (start := inner.find("<code", pos)) >= 0:
        stop = inner.find("</code", start)
        if stop < 0:
            break
        close = inner.find(">", stop)
        kept.append(inner[pos:start])
        pos = len(inner) if close < 0 else close + 1
    kept.append(inner[pos:])
    return " ".join(kept)
