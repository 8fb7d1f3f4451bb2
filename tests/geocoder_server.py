"""A real local HTTP server that answers like Nominatim's /search, for geocoding tests.

It keeps every request it receives, so a test can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.servers import QuietHandler


@dataclass
class GeocoderRequest:
    path: str
    params: dict[str, str]
    headers: dict[str, str]


@dataclass
class Place:
    display_name: str
    lat: float
    lon: float
    osm_type: str = "way"
    category: str = "highway"
    type: str = "residential"


@dataclass
class GeocoderServer:
    """Nominatim's /search on 127.0.0.1; set `places`, `status`, `body` or `delay_s` to shape the answers."""

    places: list[Place] = field(default_factory=list)
    status: int = 200
    # A raw body to send instead of the places (malformed answers).
    body: bytes | None = None
    delay_s: float = 0.0
    # Served under this path prefix, like a geocoder behind a reverse proxy.
    prefix: str = ""
    requests: list[GeocoderRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    def start(self) -> GeocoderServer:
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
                parts = urlsplit(self.path)
                params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                owner.requests.append(
                    GeocoderRequest(
                        path=parts.path, params=params, headers={k.lower(): v for k, v in self.headers.items()}
                    )
                )
                if owner.delay_s:
                    time.sleep(owner.delay_s)
                if parts.path != f"{owner.prefix}/search":
                    self._send(404, b'{"error": "not found"}')
                    return
                if owner.body is not None:
                    self._send(owner.status, owner.body)
                    return
                if owner.status != 200:
                    self._send(owner.status, b'{"error": "server error"}')
                    return
                limit = int(params.get("limit", "10"))
                answer = [owner._place_json(index, place, params) for index, place in enumerate(owner.places)]
                self._send(200, json.dumps(answer[:limit], ensure_ascii=False).encode())

            def _send(self, status: int, body: bytes) -> None:
                self.send_body(status, body, {"Content-Type": "application/json; charset=utf-8"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _place_json(self, index: int, place: Place, params: dict[str, str]) -> dict[str, Any]:
        # The fields of format=json; jsonv2 names "class" "category" and adds place_rank.
        item: dict[str, Any] = {
            "place_id": 1000 + index,
            "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
            "osm_type": place.osm_type,
            "osm_id": 5000 + index,
            "lat": f"{place.lat:.7f}",
            "lon": f"{place.lon:.7f}",
            "display_name": place.display_name,
            "type": place.type,
            "importance": round(0.5 - index * 0.01, 4),
            "boundingbox": [
                f"{place.lat - 0.001:.7f}",
                f"{place.lat + 0.001:.7f}",
                f"{place.lon - 0.001:.7f}",
                f"{place.lon + 0.001:.7f}",
            ],
        }
        if params.get("format") == "jsonv2":
            item["category"] = place.category
            item["place_rank"] = 26
        else:
            item["class"] = place.category
        return item

    def __enter__(self) -> GeocoderServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
