"""Text from the file as XML reads it: line ends, attribute-value white space, the five
entities and character references (XML 1.0, sections 2.11, 3.3.3 and 4.1); nothing else is
expanded."""

from __future__ import annotations

import re

_REFERENCE = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|([A-Za-z_:][-A-Za-z0-9._:]*))?(;?)")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
#: literal white space in an attribute value becomes a space (XML 1.0, section 3.3.3)
_ATTRIBUTE_SPACE = str.maketrans({"\t": " ", "\n": " "})


def _is_xml_char(cp: int) -> bool:
    """Whether code point ``cp`` is a character XML 1.0 allows (the ``Char`` production)."""
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


def decode_text(
    raw: bytes, encoding: str, *, attribute: bool = True
) -> tuple[str, tuple[str, str] | None]:
    """Decode bytes as XML does; also say what was wrong, if anything, as ``(kind, message)``.

    Line ends (CR LF, lone CR) become LF. In an attribute value (``attribute=True``) each
    literal tab and line end then becomes a space (attribute-value normalisation, XML 1.0
    section 3.3.3; without a DTD every attribute is CDATA, so nothing more is collapsed).
    Then the five predefined entities and numeric character references are replaced by
    their characters; a character they produce (``&#10;``) is kept as it is.

    A reference XML does not allow is kept as it was written and named in the returned
    problem (kind ``"reference"``): an undefined entity (entities are never expanded), a ``&`` that starts no
    reference, and a character reference to a character outside XML's ``Char`` production
    (``&#0;``, a surrogate such as ``&#xD800;``, ``&#xFFFE;``, above ``&#x10FFFF;``).
    """
    problem = None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        text = raw.decode(encoding, "replace")
        problem = ("encoding", f"bytes that are not {encoding}; replaced by U+FFFD")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if attribute:
        text = text.translate(_ATTRIBUTE_SPACE)
    if "&" not in text:
        return text, problem
    bad: list[str] = []

    def one(m: re.Match[str]) -> str:
        dec, hexa, name, semi = m.groups()
        if semi:
            if name is not None and name in _PREDEFINED:
                return _PREDEFINED[name]
            if dec is not None or hexa is not None:
                digits = dec if dec is not None else hexa
                cp = int(digits, 10 if dec is not None else 16) if len(digits) < 12 else -1
                if _is_xml_char(cp):
                    return chr(cp)
                bad.append(
                    f"character reference {m.group(0)!r} to a character XML does not allow; "
                    "kept as text"
                )
                return m.group(0)
            if name is not None:
                bad.append(
                    f"undefined entity reference {m.group(0)!r} kept as text "
                    "(entities are not expanded)"
                )
                return m.group(0)
        bad.append(f"'&' that starts no reference ({m.group(0)!r}); kept as text")
        return m.group(0)

    text = _REFERENCE.sub(one, text)
    if bad and problem is None:
        problem = ("reference", bad[0])
    return text, problem
