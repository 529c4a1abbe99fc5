"""The source tree, the shipped demo site, and free local ports to move it onto."""

from __future__ import annotations

import re
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO_SITE = ROOT / "controller" / "config" / "examples" / "demo-site.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def on_free_ports(site_text: str) -> str:
    """The demo site's bus ports (5020, 5021) replaced by free ones, whole lines only.

    A plain text replace of "port = 5020" then "port = 5021" would also hit a new port
    that happens to begin with 5021 (e.g. 50213).
    """
    for port in (5020, 5021):
        site_text = re.sub(rf"^port = {port}$", f"port = {free_port()}", site_text, flags=re.M)
    return site_text
