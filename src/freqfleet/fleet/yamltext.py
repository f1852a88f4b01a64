"""Block-style YAML text for the plan's exports (docker-compose, Kubernetes manifests).

Why a writer of our own: the exports are data we build (dicts, lists, strings, numbers), so
a few rules cover them and the plan needs no YAML library at run time. Scalars are written
so that every YAML reader gets back exactly the value we had: numbers, booleans and null
as JSON (valid YAML), strings double-quoted with YAML's own escapes for anything a reader
would otherwise fold, strip or refuse (control characters, NEL and the Unicode line and
paragraph separators, a byte-order mark). A multi-line string (a config file, a strategy
file) is written as a literal block (``|``) when that block reads back unchanged, so a
person can read it in the manifest; otherwise it is quoted too.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*")  # a digit first could read as a number
# YAML 1.1 readers take these plain words as booleans or null.
_SPECIAL_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_SHORT_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _printable(char: str) -> bool:
    """True for a character YAML allows as it is inside a quoted scalar (no line break)."""
    code = ord(char)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    ) and char not in "\u2028\u2029"


def quote(text: str) -> str:
    """``text`` as a double-quoted YAML scalar that reads back exactly."""
    out = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif _printable(char):
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:  # pragma: no cover - every character above 0xFFFF is printable
            out.append(f"\\U{ord(char):08x}")
    out.append('"')
    return "".join(out)


def _block_ok(text: str) -> bool:
    """True when ``text`` reads back unchanged from a literal block scalar."""
    if "\n" not in text.rstrip("\n"):
        return False  # one line: quoted reads better
    lines = text.split("\n")
    if any(not all(_printable(c) or c == "\t" for c in line) for line in lines):
        return False
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return False  # only blanks: a block would read back empty
    leading = lines[: lines.index(first)]
    # The first content line fixes the block's indentation: it may not start with blanks,
    # and no blank-only line may come before it.
    return not first[0].isspace() and not any(leading)


def scalar(value: Any) -> str:
    if isinstance(value, str):
        return quote(value)
    return json.dumps(value)


def key(name: Any) -> str:
    text = str(name)
    if _SAFE_KEY.fullmatch(text) and text.lower() not in _SPECIAL_WORDS:
        return text
    return quote(text)


def _block(text: str, pad: str) -> list[str]:
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    indicator = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
    lines = [indicator]
    lines.extend(f"{pad}{line}" if line else "" for line in body.split("\n"))
    lines.extend("" for _ in range(trailing - 1))
    return lines


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML for nested dicts and lists (an empty one is written as ``{}``/``[]``)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key(name)}:")
                lines.append(to_yaml(item, indent + 1))
            elif isinstance(item, str) and _block_ok(item):
                first, *rest = _block(item, pad + "  ")
                lines.append(f"{pad}{key(name)}: {first}")
                lines.extend(rest)
            else:
                lines.append(f"{pad}{key(name)}: {scalar(item)}")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                first, *rest = to_yaml(item, indent + 1).splitlines()
                lines.append(f"{pad}- {first.lstrip()}")
                lines.extend(rest)
            elif isinstance(item, list) and item:
                raise ValueError("a list directly inside a list is not written")
            else:
                lines.append(f"{pad}- {scalar(item)}")
    return "\n".join(lines)


def documents(*values: Any) -> str:
    """Several YAML documents in one text (``---`` between them), newline-terminated."""
    return "\n---\n".join(to_yaml(value) for value in values) + "\n"


__all__ = ["documents", "quote", "to_yaml"]
