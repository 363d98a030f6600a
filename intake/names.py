"""File names as recorded: readable text always, the raw bytes when they are not UTF-8.

On Linux a file name is bytes. A name written by an old USB stick or a
Windows zip (Latin-1, ``photo-\\xe9t\\xe9.jpg``) is not valid UTF-8; Python
keeps such bytes as lone surrogates, which SQLite, JSON and the terminal
refuse. Such a name is recorded as readable text with each undecodable byte
written ``\\xNN``, and, losslessly, as the hex of its raw bytes beside it.
"""

from __future__ import annotations

import os
import re


def is_utf8(name: str) -> bool:
    """True when the name holds no undecodable bytes (no lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def readable(name: str) -> str:
    """The name as text a person, SQLite and JSON can take: bad bytes shown as ``\\xNN``."""
    if is_utf8(name):
        return name
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def raw_hex(name: str) -> str | None:
    """The raw bytes of a name that is not valid UTF-8, as hex; None for a UTF-8 name."""
    return None if is_utf8(name) else os.fsencode(name).hex()


_ESCAPE = re.compile(r"\\x([89a-f][0-9a-f])")


def candidates(recorded: str) -> list[str]:
    """The file system names a recorded (readable) name may stand for, most likely first."""
    out = [recorded]
    if _ESCAPE.search(recorded):
        raw = _ESCAPE.sub(lambda m: chr(0xDC00 + int(m.group(1), 16)), recorded)
        out.append(raw)
    return out
