"""JSON text as ``json.dumps(value, ensure_ascii=False, indent=2)`` writes it, in less time.

With ``indent`` the standard library leaves its C encoder for a pure-Python generator chain;
this writer builds the same text with one recursive function and the C string encoder that
``json.dumps`` itself calls for every string. It handles what JSON-LD documents are made of
(dicts with string keys, lists, strings, numbers, booleans, null); anything else (another kind
of key or value, a tuple, a subclass) is written by ``json.dumps``, so the text is always the
standard library's (tests compare the two on generated values and on every built document).
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C encoder json.dumps uses with ensure_ascii=False


class _LeftToJsonError(Exception):
    """A value this writer leaves to json.dumps."""


def dumps(value: object) -> str:
    """Return ``json.dumps(value, ensure_ascii=False, indent=2)``."""
    parts: list[str] = []
    try:
        _write(value, "\n", parts)
    except _LeftToJsonError:
        return json.dumps(value, ensure_ascii=False, indent=2)
    return "".join(parts)


def member(value: object, level: int) -> str:
    """Return the text of ``value`` as it is written nested ``level`` deep in a document."""
    parts: list[str] = []
    try:
        _write(value, "\n" + "  " * level, parts)
    except _LeftToJsonError:
        text = json.dumps(value, ensure_ascii=False, indent=2)
        return text.replace("\n", "\n" + "  " * level)  # json.dumps puts no raw newline in a string
    return "".join(parts)


def _write(value: object, newline: str, parts: list[str]) -> None:
    """Append the text of ``value`` to ``parts``; ``newline`` is a line break and its indent."""
    if type(value) is str:
        parts.append(encode_basestring(value))
    elif type(value) is dict:
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _LeftToJsonError
            parts.append(separator)
            parts.append(encode_basestring(key))
            parts.append(": ")
            if type(item) is str:
                parts.append(encode_basestring(item))
            else:
                _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    elif type(value) is list:
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            if type(item) is str:
                parts.append(encode_basestring(item))
            else:
                _write(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    elif value is None or value is True or value is False or type(value) in (int, float):
        parts.append(json.dumps(value))
    else:
        raise _LeftToJsonError
