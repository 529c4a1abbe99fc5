"""Small valid images built byte by byte (no imaging library needed): a 1×1 PNG and JPEG."""

from __future__ import annotations

import struct
import zlib

__all__ = ["jpeg_bytes", "png_bytes"]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bytes(padding: int = 0) -> bytes:
    """A 1×1 RGB PNG; ``padding`` bytes of a text chunk make it larger."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    text = _chunk(b"tEXt", b"pad\x00" + b"x" * padding) if padding else b""
    pixel = zlib.compress(b"\x00\x30\x80\x30")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + text
        + _chunk(b"IDAT", pixel)
        + _chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """The markers a JPEG starts and ends with around an (empty) comment segment."""
    return b"\xff\xd8\xff\xfe\x00\x06qanat\xff\xd9"
