"""A simulated field camera: ``GET /snapshot.jpg`` over HTTP, with faults on demand.

The camera photographs the scene its ``cover`` callable describes (in a simulated season,
the truth's canopy cover of the zone), drawn by :mod:`drivers.sim.canopy` with the film and
light it was given, a new seed each snapshot. It listens on loopback, port 0 unless told,
and reports the bound port (:attr:`SnapshotServer.port`).

Faults (:attr:`SnapshotServer.fault`, changed at run time):

* ``"http_500"``: answers 500 Internal Server Error;
* ``"not_image"``: answers 200 with ``image/jpeg`` and an HTML body (a login page a camera
  shows after a reset);
* ``"hang"``: accepts the request and holds it unanswered while the fault lasts (until
  it is cleared or the server stops), then closes the connection (a camera whose web
  server froze).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

from drivers.sim.canopy import Film, Light, Scene, draw_scene

__all__ = ["CameraFault", "SnapshotServer"]

CameraFault = Literal["http_500", "not_image", "hang", "slow"]
PATH = "/snapshot.jpg"


class SnapshotServer:
    """A simulated camera serving :data:`PATH`; ``with SnapshotServer(...) as cam: cam.url``."""

    def __init__(
        self,
        cover: Callable[[], float],
        *,
        film: Film = "white",
        light: Light = "sun",
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
    ) -> None:
        self._cover = cover
        self._film: Film = film
        self._light: Light = light
        self._seed = seed
        self._shots = 0
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.fault: CameraFault | None = None
        self.requests = 0
        self._httpd = ThreadingHTTPServer((host, port), self._handler())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def snapshot_jpeg(self) -> bytes:
        """A new photo of the scene now (JPEG bytes)."""
        with self._lock:
            self._shots += 1
            seed = self._seed * 100_003 + self._shots
        cover = min(1.0, max(0.0, float(self._cover())))
        return draw_scene(Scene(cover, self._film, self._light, seed=seed)).jpeg()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        camera = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return  # quiet: tests and seasons make many requests

            def do_GET(self) -> None:
                camera.requests += 1
                if self.path.split("?", 1)[0] != PATH:
                    self.send_error(404)
                    return
                fault = camera.fault
                if fault == "hang":
                    # hold the request, unanswered, while the fault lasts; then drop it
                    while camera.fault == "hang" and not camera._released.wait(0.05):
                        pass
                    return
                if fault == "http_500":
                    self.send_error(500, "camera fault")
                    return
                if fault == "not_image":
                    body = b"<html><body>Please log in</body></html>"
                else:
                    body = camera.snapshot_jpeg()
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if fault != "slow":
                    self.wfile.write(body)
                    return
                for at in range(0, len(body), 512):
                    if camera._released.wait(0.1):
                        return
                    try:
                        self.wfile.write(body[at : at + 512])
                        self.wfile.flush()
                    except OSError:
                        return  # the client gave up

        return Handler

    def start(self) -> SnapshotServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # a quick stop
            name="sim-camera",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()  # let hung requests go
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SnapshotServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
