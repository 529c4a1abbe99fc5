"""The central office's pull: every site's logs, incrementally, into one database.

For each site listed in ``SITES.toml`` (:func:`load_sites`), :func:`pull_site`

1. stores the site's zones (``/api/v1/zones``: the areas reports divide by);
2. re-reads by id the stored rows that may still change on the box — runs not yet in a
   final state, latched events not yet acknowledged (``?ids=``);
3. pulls each export table from its cursor, page by page (``?after=&limit=``), each page
   and the cursor after it committed in one transaction (:meth:`CentralDB.store_page`),
   up to the table's end when the pull began (``X-Max-Id``: a busy box is not chased);
4. acknowledges each table's cursor to the box, so the box's retention may purge below it
   (only now: the rows are durably stored).

A crash anywhere repeats at most the page in flight, which is stored once (on PostgreSQL
each page of ``readings`` is checked against the site's highest stored id:
:mod:`controller.office.central.pg`). A box whose highest id of a table is below the
office's cursor (restored from a backup, another box under the site's id) is refused
before anything of that table is stored (:class:`BoxWentBack`). A site
that is offline, refuses the token or answers garbage is reported and skipped; the others
go on (:func:`pull_all` runs a few sites at a time, each request with a timeout).

Errors::

    PullError                 one site could not be pulled (the others go on)
    ├── SiteUnreachable       connection refused, timeout, HTTP 5xx
    ├── SiteRefused           HTTP 4xx (a wrong or revoked token, most often)
    ├── BadAnswer             not the export format (or rows the database cannot take)
    └── BoxWentBack           the box's ids went back below the office's cursor
    SitesFileError            SITES.toml is invalid (every problem with its key path)
"""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from controller.config.errors import ConfigError
from controller.config.tomlfile import read_toml
from controller.errors import OfficeError, ProblemsError
from controller.office.answers import NOT_A_BOX, came_back, start_of
from controller.office.central import BadRows, CentralDB, CentralError
from controller.office.central.pg import NeedsStaging
from controller.office.export import MAX_IDS, TABLES
from controller.office.zones_answer import NotZones, zone_areas

__all__ = [
    "BadAnswer",
    "BoxClient",
    "BoxWentBack",
    "Progress",
    "PullError",
    "SiteRefused",
    "SiteResult",
    "SiteSpec",
    "SiteUnreachable",
    "SitesFileError",
    "Streamed",
    "load_keep_months",
    "load_sites",
    "pull_all",
    "pull_site",
]

log = logging.getLogger(__name__)

PAGE_ROWS = 20_000  # rows per request: ~3 MB of NDJSON, ~0.3 MB gzipped
TIMEOUT_S = 30.0
CSV_TABLE = "readings"  # pulled as CSV into PostgreSQL: the bulk, parsed fastest as CSV
PURGED_TABLE = "readings"  # the one table the box's retention deletes from
CHUNK_BYTES = 1 << 18  # read size of a streamed page: 256 KiB
API = "/api/v1"
# RFC 6750 b64token: what an Authorization: Bearer header can carry (qanat's are urlsafe base64)
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class PullError(OfficeError):
    """One site could not be pulled; ``site`` names it."""

    def __init__(self, site: str, message: str) -> None:
        super().__init__(f"{site}: {message}")
        self.site = site


class SiteUnreachable(PullError):
    """No answer in time, connection refused, or a server error (try again later)."""


class SiteRefused(PullError):
    """The box refused the request (HTTP 4xx), most often a wrong or revoked token."""


class BadAnswer(PullError):
    """The answer is not the export format, or its rows cannot be stored."""


class BoxWentBack(PullError):
    """The box's highest id of a table is below what the office has stored from it: a box
    restored from a backup (or another box under this site's id) gives those ids again to
    new rows, which a pull from the cursor would never ask for. Refused; the site's rows
    and cursors stay as they were until someone decides."""


class SitesFileError(ProblemsError, ValueError):
    """SITES.toml is invalid; ``problems`` lists ``key.path: message`` for each."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(problems, f"{path}: " + "; ".join(problems))
        self.path = path


@dataclass(frozen=True)
class SiteSpec:
    """One box to pull: its id in the office database, base URL and reader token."""

    id: str
    url: str
    token: str = field(repr=False)
    timeout_s: float = TIMEOUT_S


def _read_sites_file(path: Path) -> dict[str, Any]:
    """SITES.toml's document, read as the site file is (:func:`read_toml`): a file not
    there, not UTF-8 or not TOML is a :class:`SitesFileError` naming it, not a traceback."""
    try:
        return read_toml(path)
    except ConfigError as exc:
        raise SitesFileError(path, list(exc.problems)) from exc


def load_sites(path: Path) -> list[SiteSpec]:
    """The sites of a SITES.toml file::

        [[sites]]
        id = "ganzhou-01"
        url = "http://10.20.0.11:8080"
        token_file = "tokens/ganzhou-01"   # or: token = "..."; relative to this file
        timeout_s = 30                     # optional, per request

    Raises :class:`SitesFileError` naming every bad key (``sites[2].url: ...``).
    """
    data = _read_sites_file(path)
    entries = data.get("sites")
    if not isinstance(entries, list) or not entries:
        raise SitesFileError(path, ["sites: a non-empty array of [[sites]] tables is required"])
    problems: list[str] = []
    out: list[SiteSpec] = []
    seen: set[str] = set()
    urls: dict[str, tuple[int, str]] = {}  # a box's base URL -> its first entry and id
    for n, entry in enumerate(entries):
        site_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(site_id, str) and site_id in seen:
            problems.append(f"sites[{n}].id: {site_id!r} is listed twice")
        seen.add(str(site_id))
        spec = _site(path, f"sites[{n}]", entry, problems)
        if spec is None:
            continue
        first = urls.setdefault(_box_of(spec.url), (n, spec.id))
        if first[0] != n and first[1] != spec.id:
            problems.append(
                f"sites[{n}].url: {spec.url!r} is also sites[{first[0]}] ({first[1]!r}): "
                "one box under two ids would count its water twice"
            )
        out.append(spec)
    if problems:
        raise SitesFileError(path, problems)
    return out


def _box_of(url: str) -> str:
    """A base URL as the box it reaches: scheme and host in any case, a trailing / aside."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def load_keep_months(path: Path) -> int | None:
    """The office's telemetry retention from SITES.toml, months (``None``: keep everything)::

        [office]
        keep_months = 24   # readings older than the last 24 months (this one counted) dropped

    Raises :class:`SitesFileError` naming the bad key.
    """
    data = _read_sites_file(path)
    office = data.get("office", {})
    if not isinstance(office, dict):
        raise SitesFileError(path, ["office: a table expected"])
    problems = [f"office.{k}: unknown key" for k in sorted(set(office) - {"keep_months"})]
    keep = office.get("keep_months")
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 1):
        problems.append("office.keep_months: a whole number of months >= 1 expected")
    if problems:
        raise SitesFileError(path, problems)
    return keep


def _site(path: Path, key: str, entry: Any, problems: list[str]) -> SiteSpec | None:
    if not isinstance(entry, dict):
        problems.append(f"{key}: a table expected")
        return None
    before = len(problems)
    unknown = set(entry) - {"id", "url", "token", "token_file", "timeout_s"}
    problems += [f"{key}.{k}: unknown key" for k in sorted(unknown)]
    site_id = entry.get("id")
    if not isinstance(site_id, str) or not site_id or len(site_id) > 64:
        problems.append(f"{key}.id: a name of 1 to 64 characters is required")
    url = entry.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        problems.append(f"{key}.url: an http:// or https:// base URL is required")
    timeout = entry.get("timeout_s", TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
        problems.append(f"{key}.timeout_s: seconds in (0, 600] expected")
    token = _token(path, key, entry, problems)
    if len(problems) > before or token is None:
        return None
    assert isinstance(site_id, str) and isinstance(url, str)
    return SiteSpec(site_id, url.rstrip("/"), token, float(timeout))


def _token(path: Path, key: str, entry: dict[str, Any], problems: list[str]) -> str | None:
    if ("token" in entry) == ("token_file" in entry):
        problems.append(f"{key}: give exactly one of token or token_file")
        return None
    if "token" in entry:
        token = entry["token"]
    else:
        file = path.parent / str(entry["token_file"])
        try:
            token = file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            problems.append(f"{key}.token_file: cannot read {file}: {exc.strerror}")
            return None
        except UnicodeDecodeError as exc:
            problems.append(
                f"{key}.token_file: {file} is not UTF-8 text (byte {exc.start}); "
                "a token is one line as `qanat token create` printed it"
            )
            return None
    if not isinstance(token, str) or not token:
        problems.append(f"{key}.token: empty")
        return None
    if not BEARER_TOKEN.fullmatch(token):
        where = "token" if "token" in entry else "token_file"
        bad = sorted({c for c in token if not BEARER_TOKEN.fullmatch(c) and c != "="})
        problems.append(
            f"{key}.{where}: not a bearer token: it holds {', '.join(map(repr, bad))} "
            "(a token is one line of letters, digits and - . _ ~ + /, "
            "as `qanat token create` printed it)"
        )
        return None
    return token


# -- HTTP ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes  # decompressed


class BoxClient:
    """Requests to one box with its token (stdlib ``urllib``; no redirects to other hosts)."""

    def __init__(self, site: SiteSpec) -> None:
        self.site = site

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Reply:
        query = f"?{urlencode(params)}" if params else ""
        return self._send(urllib.request.Request(self.site.url + path + query))

    def post(self, path: str, body: Any) -> Reply:
        data = json.dumps(body).encode()
        request = urllib.request.Request(self.site.url + path, data=data, method="POST")
        request.add_header("Content-Type", "application/json")
        return self._send(request)

    @contextmanager
    def stream(self, path: str, params: Mapping[str, Any]) -> Iterator[Streamed]:
        """A GET whose body is read as it arrives: decompressed chunks of about
        :data:`CHUNK_BYTES` (a failure mid-body raises :class:`SiteUnreachable` from the
        iterator)."""
        request = urllib.request.Request(f"{self.site.url}{path}?{urlencode(params)}")
        where = f"GET {request.full_url}"
        with self._open(request) as response:
            headers = {k.lower(): v for k, v in response.headers.items()}
            gzipped = headers.get("content-encoding") == "gzip"
            yield Streamed(headers, self._chunks(where, response, gzipped))

    def _chunks(self, where: str, response: Any, gzipped: bool) -> Iterator[bytes]:
        inflate = zlib.decompressobj(wbits=31) if gzipped else None
        try:
            while block := response.read(CHUNK_BYTES):
                yield inflate.decompress(block) if inflate is not None else block
            if inflate is not None:
                yield inflate.flush()
        except zlib.error as exc:
            raise BadAnswer(self.site.id, f"{where}: broken gzip: {exc}") from exc
        except (OSError, TimeoutError) as exc:
            raise SiteUnreachable(self.site.id, f"{where}: {exc}") from exc

    @contextmanager
    def _open(self, request: urllib.request.Request) -> Iterator[Any]:
        request.add_header("Authorization", f"Bearer {self.site.token}")
        request.add_header("Accept-Encoding", "gzip")
        where = f"{request.get_method()} {request.full_url}"
        try:
            response = urllib.request.urlopen(request, timeout=self.site.timeout_s)
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:200].decode("utf-8", "replace")
            kind = SiteRefused if exc.code < 500 else SiteUnreachable
            raise kind(self.site.id, f"{where}: HTTP {exc.code} {detail}") from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SiteUnreachable(self.site.id, f"{where}: {reason}") from exc
        with response:
            yield response

    def _send(self, request: urllib.request.Request) -> Reply:
        where = f"{request.get_method()} {request.full_url}"
        with self._open(request) as response:
            try:
                status, headers, body = response.status, response.headers, response.read()
            except (OSError, TimeoutError) as exc:
                raise SiteUnreachable(self.site.id, f"{where}: {exc}") from exc
        lowered = {k.lower(): v for k, v in headers.items()}
        if lowered.get("content-encoding") == "gzip":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                raise BadAnswer(self.site.id, f"{where}: broken gzip: {exc}") from exc
        return Reply(status, lowered, body)


@dataclass(frozen=True)
class Streamed:
    """A streamed answer: its headers (lower-case names) and its decompressed body chunks."""

    headers: Mapping[str, str]
    chunks: Iterator[bytes]


# -- one site -----------------------------------------------------------------------


class Progress(Protocol):
    def update(self, n: int) -> object: ...


class _NoProgress:
    def update(self, n: int) -> None:
        pass


@dataclass
class SiteResult:
    """What a pull of one site did: rows per table, rows refreshed by id, the error if any."""

    site_id: str
    rows: dict[str, int] = field(default_factory=dict)
    refreshed: int = 0
    error: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site_id,
            "ok": self.ok,
            "rows": self.rows,
            "refreshed": self.refreshed,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


def _ndjson(site: str, where: str, reply: Reply) -> list[dict[str, Any]]:
    """The rows of an NDJSON page; :class:`BadAnswer` saying what came back instead (its
    first line not JSON: not the export at all) or which line is broken."""
    rows = []
    for n, line in enumerate((line for line in reply.body.split(b"\n") if line.strip()), 1):
        try:
            rows.append(json.loads(line))
        except (UnicodeDecodeError, ValueError):
            if n == 1:
                answer = came_back(reply.body, reply.headers.get("content-type", ""))
                raise BadAnswer(site, f"{where}: not NDJSON but {answer}: {NOT_A_BOX}") from None
            raise BadAnswer(site, f"{where}: line {n} is not JSON: {start_of(line)}") from None
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            raise BadAnswer(site, f"{where}: a row without an integer id: {str(row)[:80]}")
    return rows


def _pull_table(
    db: CentralDB, client: BoxClient, table: str, cursor: int, page_rows: int, progress: Progress
) -> tuple[int, int]:
    """Pull one table from ``cursor`` to the end; return (rows stored, new cursor)."""
    if db.dialect == "postgresql":
        return _stream_table(db, client, table, cursor, page_rows, progress)
    site = client.site.id
    stored = 0
    target: int | None = None  # the table's end when this pull began: stop there
    while True:
        where = f"{table} after {cursor}"
        reply = client.get(f"{API}/export/{table}", {"after": cursor, "limit": page_rows})
        rows = _ndjson(site, where, reply)
        ids = [row["id"] for row in rows]
        if any(b <= a for a, b in itertools.pairwise(ids)) or (ids and ids[0] <= cursor):
            raise BadAnswer(site, f"{where}: ids not increasing from the cursor")
        last = _last_id(site, where, reply, ids, cursor)
        if target is None:
            _not_behind(site, table, reply, cursor)
        try:
            stored += db.store_page(site, table, rows, last)
        except BadRows as exc:
            raise BadAnswer(site, str(exc)) from exc
        progress.update(len(rows))
        if target is None:
            target = _int_header(site, where, reply, "x-max-id", last)
        if last == cursor or "link" not in reply.headers or last >= target:
            return stored, last
        cursor = last


def _stream_table(
    db: CentralDB, client: BoxClient, table: str, cursor: int, page_rows: int, progress: Progress
) -> tuple[int, int]:
    """:func:`_pull_table` on PostgreSQL: each page streamed into the database by COPY,
    parsed by the server (:meth:`CentralDB.store_stream`), not by Python."""
    site = client.site.id
    stored = 0
    target: int | None = None
    params: dict[str, Any] = {"limit": page_rows}
    if table == CSV_TABLE:
        params["format"] = "csv"
    direct = table == CSV_TABLE
    while True:
        where = f"{table} after {cursor}"
        with client.stream(f"{API}/export/{table}", {"after": cursor, **params}) as got:
            reply = Reply(200, got.headers, b"")
            box_last = _int_header(site, where, reply, "x-last-id", cursor)
            if target is None:
                _not_behind(site, table, reply, cursor)
            chunks, header = got.chunks, None
            if table == CSV_TABLE:
                header, first_id, chunks = _csv_header(site, where, got.chunks)
                if first_id is not None and first_id <= cursor:  # the box ignored ``after``
                    raise BadAnswer(
                        site, f"{where}: ids not increasing from the cursor (first {first_id})"
                    )
            try:
                rows, last = db.store_stream(
                    site, table, chunks, cursor, box_last, header, direct=direct
                )
            except BadRows as exc:
                raise BadAnswer(site, str(exc)) from exc
            except NeedsStaging as exc:  # a month without its partition: the slow path
                log.info("%s: %s: %s; again through the stage", site, where, exc)
                direct = False
                continue
        direct = table == CSV_TABLE
        stored += rows
        progress.update(rows)
        if target is None:
            target = _int_header(site, where, reply, "x-max-id", last)
        if last == cursor or "link" not in reply.headers or last >= target:
            return stored, last
        cursor = last


def _not_behind(site: str, table: str, reply: Reply, cursor: int) -> None:
    """:class:`BoxWentBack` when the box's highest id (``X-Max-Id``) is below ``cursor``.
    An empty ``readings`` is not: the box's retention deletes readings every reader has
    acknowledged, its newest too when no probe wrote for ``raw_keep_days``."""
    top = _int_header(site, table, reply, "x-max-id", cursor)
    if top < cursor and not (table == PURGED_TABLE and top == 0):
        raise BoxWentBack(
            site,
            f"{table}: the box's highest id is {top}, below the {cursor} the office has "
            "stored from it (a box restored from a backup, or another box under this "
            "site's id?): refused, nothing of it stored; its new rows would reuse ids "
            "the office holds. Give the box a new site id in the sites file",
        )


def _csv_header(
    site: str, where: str, chunks: Iterator[bytes]
) -> tuple[list[str], int | None, Iterator[bytes]]:
    """The CSV header line's column names, the first row's id (``None`` when no row), and
    the chunks after the header. The ids of a page only grow (the export's order), so the
    first one above the cursor is what a page copied straight in relies on."""
    head = b""
    for chunk in chunks:
        head += chunk
        if head.count(b"\n") >= 2 or len(head) > 8192:
            break
    first, _, rest = head.partition(b"\n")
    try:
        names = first.decode("ascii").strip().split(",")
    except UnicodeDecodeError as exc:
        raise BadAnswer(site, f"{where}: not the CSV export: {exc}") from exc
    if not names or not all(n.isidentifier() for n in names):
        raise BadAnswer(site, f"{where}: not the CSV export: header {start_of(first, 80)}")
    first_id = None
    if names[0] == "id" and b"\n" in rest:
        cell = rest.split(b",", 1)[0]
        try:
            first_id = int(cell)
        except ValueError as exc:
            raise BadAnswer(site, f"{where}: not the CSV export: id {start_of(cell, 20)}") from exc
    return names, first_id, itertools.chain([rest], chunks)


def _last_id(site: str, where: str, reply: Reply, ids: list[int], cursor: int) -> int:
    """The cursor after this page: the box's ``X-Last-Id`` (rows may have been purged),
    never behind the last row received."""
    last = _int_header(site, where, reply, "x-last-id", cursor)
    if ids:
        last = max(last, ids[-1])
    if last < cursor:
        raise BadAnswer(site, f"{where}: the box's cursor {last} is behind ours ({cursor})")
    return last


def _int_header(site: str, where: str, reply: Reply, name: str, default: int) -> int:
    header = reply.headers.get(name)
    try:
        return int(header) if header is not None else default
    except ValueError as exc:
        raise BadAnswer(site, f"{where}: {name} {header!r} is not an id") from exc


def _refresh(db: CentralDB, client: BoxClient, table: str) -> int:
    """Re-read the rows of ``table`` that may have changed on the box; return how many."""
    site = client.site.id
    ids = db.open_ids(site, table)
    done = 0
    for start in range(0, len(ids), MAX_IDS):
        chunk = ids[start : start + MAX_IDS]
        where = f"{table} ids {chunk[0]}..{chunk[-1]}"
        reply = client.get(f"{API}/export/{table}", {"ids": ",".join(map(str, chunk))})
        rows = _ndjson(site, where, reply)
        try:
            done += db.store_page(site, table, rows, None)
        except BadRows as exc:
            raise BadAnswer(site, str(exc)) from exc
    return done


def _zones(db: CentralDB, client: BoxClient) -> None:
    site = client.site.id
    reply = client.get(f"{API}/zones")
    try:
        zones = zone_areas(site, reply.body, reply.headers.get("content-type", ""))
    except NotZones as exc:
        url = f"{client.site.url}{API}/zones"
        raise BadAnswer(site, f"GET {url}: not the zones list: {exc}") from exc
    db.store_zones(site, zones)


def pull_site(
    db: CentralDB,
    client: BoxClient,
    *,
    page_rows: int = PAGE_ROWS,
    progress: Progress | None = None,
    tables: Sequence[str] = TABLES,
) -> SiteResult:
    """Pull one site (module docstring); raises :class:`PullError` or :class:`CentralError`."""
    site = client.site.id
    shown = _NoProgress() if progress is None else progress
    result = SiteResult(site)
    started = time.monotonic()
    _zones(db, client)
    cursors = db.cursors(site)
    for table in tables:
        if table in ("runs", "events"):
            result.refreshed += _refresh(db, client, table)
        stored, cursors[table] = _pull_table(
            db, client, table, cursors.get(table, 0), page_rows, shown
        )
        result.rows[table] = stored
    for table in tables:
        client.post(f"{API}/export/{table}/ack", {"last_id": cursors[table]})
    result.seconds = time.monotonic() - started
    return result


def pull_all(
    db: CentralDB,
    sites: Iterable[SiteSpec],
    *,
    workers: int = 4,
    page_rows: int = PAGE_ROWS,
    progress: Progress | None = None,
    client: Callable[[SiteSpec], BoxClient] = BoxClient,
) -> list[SiteResult]:
    """Pull every site, ``workers`` at a time; a failed site is reported, the others go on.

    Each site's outcome is also noted in the office database (``sites`` table).
    """
    specs = list(sites)
    lock = threading.Lock()
    shown = _NoProgress() if progress is None else progress

    class _Locked:
        def update(self, n: int) -> None:
            with lock:
                shown.update(n)

    def one(spec: SiteSpec) -> SiteResult:
        started = time.monotonic()
        try:
            result = pull_site(db, client(spec), page_rows=page_rows, progress=_Locked())
        except (PullError, CentralError) as exc:
            log.error("pull %s failed: %s", spec.id, exc)
            result = SiteResult(spec.id, error=str(exc), seconds=time.monotonic() - started)
        try:
            db.record_pull(spec.id, spec.url, result.error)
        except CentralError as exc:
            result.error = result.error or str(exc)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(specs) or 1))) as pool:
        return list(pool.map(one, specs))
