"""Opaque cursors for connection-style pagination."""
from __future__ import annotations

import base64
import binascii

import orjson

from core.errors import BadUserInput

MAX_PAGE_SIZE = 100


def encode_cursor(position: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode()


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind != "pos":
            raise ValueError(kind)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError) as error:
        raise BadUserInput("that cursor did not come from this list", field="after") from error


def encode_key(*parts: str | int) -> str:
    """A cursor for a list ordered by several columns: the last row's values of them."""
    return base64.urlsafe_b64encode(b"key:" + orjson.dumps(parts)).decode()


def decode_key(cursor: str | None, *types: type) -> tuple | None:
    """The values `encode_key` put in, checked against the types the list orders by."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode())
        if not raw.startswith(b"key:") or len(raw) > 1024:
            raise ValueError("not a key cursor")
        parts = orjson.loads(raw[4:])
        if not isinstance(parts, list) or len(parts) != len(types) or \
                not all(type(part) is kind for part, kind in zip(parts, types, strict=True)):
            raise ValueError("not this list's key")
        return tuple(parts)
    except (ValueError, binascii.Error, orjson.JSONDecodeError) as error:
        raise BadUserInput("that cursor did not come from this list", field="after") from error


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}", field="first")
    return first
