"""Headless Chromium for the browser tests: Debian's, driven by Playwright without its
browser download, and where screenshots go; and the app served on loopback for it to open."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from starlette.types import ASGIApp

from tests.helpers.pages import PASSWORD
from tests.helpers.site import ROOT
from web.serve import server_config

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright; closed on the way out."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


START_DEADLINE_S = 60.0
"""How long uvicorn may take to listen: generous, the test machines are shared and slow."""
STOP_DEADLINE_S = 10.0
"""How long uvicorn may take to close its connections and its thread to end."""
_POLL_S = 0.01


@contextmanager
def serving(app: ASGIApp, *, trusted_proxies: list[str] | None = None) -> Iterator[str]:
    """Serve ``app`` as ``qanat run`` does (:func:`web.serve.server_config`) in a thread on
    127.0.0.1; yield its base URL once it accepts connections; stop it on leaving.

    Port 0: the system picks a free port as it binds, so no other test can take it between
    choosing and binding, and the port is read back from the listening socket.
    ``trusted_proxies`` as for ``qanat run --trusted-proxy``.
    """
    server = uvicorn.Server(server_config(app, "127.0.0.1", 0, trusted_proxies=trusted_proxies))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    try:
        port = _bound_port(server, thread)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STOP_DEADLINE_S)


def _bound_port(server: uvicorn.Server, thread: threading.Thread) -> int:
    """The port ``server`` listens on, polled for until :data:`START_DEADLINE_S`."""
    deadline = time.monotonic() + START_DEADLINE_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it listened (see its log above)")
        if time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not listen within {START_DEADLINE_S:.0f} s")
        time.sleep(_POLL_S)
    return int(server.servers[0].sockets[0].getsockname()[1])


SQUEEZED_CELLS_JS = """() => [...document.querySelectorAll('table.list th, table.list td')]
  .filter(c => {
    const text = c.innerText.trim();
    if ([...text].length < 2 || c.getClientRects().length === 0) return false;  // or hidden
    const s = getComputedStyle(c);
    const inner = c.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    return inner < 1.5 * parseFloat(s.fontSize);  // two CJK characters are 2 em
  })
  .map(c => c.innerText.trim())"""
"""The texts of the shown cells of the pages' tables (``table.list``) too narrow for two of
their characters: on a phone a Chinese word in such a cell stands one character a line (a
header a phone's cards hide is not shown)."""

NARROW_TEXT_CELLS_JS = """() => [...document.querySelectorAll('table.list td.text')]
  .filter(c => c.clientWidth < 10 * parseFloat(getComputedStyle(c).fontSize))
  .map(c => c.innerText.trim())"""
"""The free-text cells (``td.text``: a message) narrower than ten characters."""

BROKEN_LABELS_JS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top);
    const size = parseFloat(getComputedStyle(el).fontSize);
    const wrapped = tops.length > 0 && Math.max(...tops) - Math.min(...tops) > 0.8 * size;
    const box = el.getBoundingClientRect();
    const card = el.closest('article, section').getBoundingClientRect();
    const out = box.left < card.left - 0.5 || box.right > card.right + 0.5;
    return wrapped || out || el.scrollWidth > el.clientWidth + 1;
  })
  .map(el => el.innerText.trim())"""
"""The texts of the labels matching ``selector`` that stand on more than one line (their
text's line boxes more than 0.8 em apart), stick out of their card (the closest article or
section) or overflow their own box: measured element boxes, no pixels compared."""

BROKEN_TEXTS_JS = """([selector, pattern]) => [...document.querySelectorAll(selector)]
.flatMap(el => {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const broken = [];
  // the text of el (its text nodes in order), and where each node starts in it
  const nodes = [];
  let text = "";
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    nodes.push([node, text.length]);
    text += node.data;
  }
  const at = (i) => {
    const [node, start] = nodes.findLast(([, s]) => s <= i);
    return [node, i - start];
  };
  for (const found of text.matchAll(new RegExp(pattern, "g"))) {
    const range = document.createRange();
    range.setStart(...at(found.index));
    range.setEnd(...at(found.index + found[0].length - 1));
    range.setEnd(range.endContainer, range.endOffset + 1);
    const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top);
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (tops.length > 0 && Math.max(...tops) - Math.min(...tops) > 0.8 * size) {
      broken.push(found[0]);
    }
  }
  return broken;
})"""
"""The texts matching the regular expression ``pattern`` in the elements matching
``selector`` (across their child elements) that stand on more than one line (their line
boxes more than 0.8 em apart): a date cut at its hyphen, a figure cut from its unit. Call
with ``[selector, pattern]``."""
DATE = r"\d{4}-\d{2}-\d{2}"  # 2026-06-20


def signed_in(
    browser: Browser, base_url: str, locale: str, viewport: dict[str, int], *, touch: bool = False
) -> Page:
    """A page of a new browser context at ``viewport`` in ``locale``, signed in at
    ``base_url`` as the technician li (the language button pressed for English: the box's
    pages start in Chinese); ``touch``: a touch screen, as a phone's."""
    context = browser.new_context(viewport=viewport, locale=locale, has_touch=touch)
    page = context.new_page()
    page.goto(base_url + "/login")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-submit")
    if locale == "en":
        page.click("#lang-switch")
    return page


# each card's box, one line's height (its ``line`` cell), the width of its ``wide`` cell (0
# when none), and the texts of what sticks out of the card
_CARDS_JS = """([rows, line, wide]) => [...document.querySelectorAll(rows)].map(row => {
  const card = row.getBoundingClientRect();
  const out = [...row.querySelectorAll('*')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width > 0 && (box.right > card.right + 0.5 || box.left < card.left - 0.5
      || box.bottom > card.bottom + 0.5);
  }).map(e => e.innerText.trim());
  const cell = wide ? row.querySelector(wide) : null;
  return {height: card.height, width: card.width, right: card.right, out: out,
          line: row.querySelector(line).getBoundingClientRect().height,
          wide: cell ? cell.getBoundingClientRect().width : 0};
})"""
_CUT_JS = """([cells, n]) => {
  const cell = document.querySelectorAll(cells)[n];
  return {height: cell.getBoundingClientRect().height, cut: cell.scrollWidth > cell.clientWidth};
}"""


def card_boxes(page: Page, rows: str, line: str, wide: str = "") -> list[dict[str, object]]:
    """The table rows ``rows`` shown as cards (a phone's layout): each one's ``height``,
    ``width`` and ``right`` edge (CSS px), one text line's height (its cell ``line``), the
    width of its cell ``wide``, and ``out``, the texts of what sticks out of it."""
    result: list[dict[str, object]] = page.evaluate(_CARDS_JS, [rows, line, wide])
    return result


def cell_cut(page: Page, cells: str, n: int) -> dict[str, object]:
    """The ``n``-th of ``cells``: its ``height`` (CSS px) and whether its text is ``cut``
    (wider than its box, so shown with an ellipsis)."""
    result: dict[str, object] = page.evaluate(_CUT_JS, [cells, n])
    return result


# what sticks out of its zone card: the card's border box, the elements measured (their text)
OUT_OF_ZONE_CARD_JS = """() => [...document.querySelectorAll('article.zone *')]
  .filter(e => {
    const box = e.getBoundingClientRect();
    const card = e.closest('article.zone').getBoundingClientRect();
    return box.width > 0 && (box.right > card.right + 0.5 || box.left < card.left - 0.5);
  })
  .map(e => e.innerText.trim())"""
