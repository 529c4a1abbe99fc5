"""Serialising export pages: NDJSON or CSV, optionally gzip, one chunk per page.

Each page of rows (see :func:`controller.office.export.iter_pages`) becomes one chunk of bytes,
so a response of a million rows is sent as it is read, never held whole.
"""

from __future__ import annotations

import csv
import io
import json
import zlib
from collections.abc import Iterable, Iterator
from json import encoder as _json_encoder
from typing import Any

__all__ = ["csv_chunks", "gzip_chunks", "ndjson_chunks"]

Page = list[dict[str, Any]]

# The C encoder called directly: ``json.dumps`` adds a Python call layer per row that costs
# more than encoding a 9-column reading. Same output as ``json.dumps(separators=(",", ":"),
# ensure_ascii=False)``.
_c_make_encoder = getattr(_json_encoder, "c_make_encoder", None)
_C_ENCODER = (
    None
    if _c_make_encoder is None
    else _c_make_encoder(
        None, None, _json_encoder.encode_basestring, None, ":", ",", False, False, True
    )
)
_PY_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _encode(row: dict[str, Any]) -> str:
    if _C_ENCODER is None:  # pragma: no cover - CPython has the C encoder
        return _PY_ENCODER.encode(row)
    return "".join(_C_ENCODER(row, 0))


def ndjson_chunks(pages: Iterable[Page]) -> Iterator[bytes]:
    """One JSON object per line (UTF-8), a chunk per page."""
    for page in pages:
        if page:
            yield ("\n".join(map(_encode, page)) + "\n").encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def csv_chunks(columns: list[str], pages: Iterable[Page]) -> Iterator[bytes]:
    """A header line, then the rows (JSON columns as JSON text, NULL as empty), RFC 4180."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield buffer.getvalue().encode("utf-8")
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(row[c]) for c in columns] for row in page)
        yield buffer.getvalue().encode("utf-8")


def gzip_chunks(chunks: Iterable[bytes], level: int = 5) -> Iterator[bytes]:
    """The chunks as one gzip stream, still chunk by chunk (memory stays flat)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()
