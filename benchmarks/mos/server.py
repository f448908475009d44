"""The rating server: stdlib ThreadingHTTPServer on 127.0.0.1 only, a fixed set of routes, no file lookups
by URL path.

    GET  /, /app.js, /app.css          the page (benchmarks/mos/static)
    GET  /api/study                    criteria, scale, rater ids, number of screens
    GET  /api/next?rater=ID            the rater's progress and next pair id (resumes after any interruption)
    GET  /api/image?rater=&pair=&side= one side of one screen; the server picks the file, the page stays blind
    POST /api/answer                   one screen's ratings (JSON), validated, appended, fsync'd

Images are only ever files the study names, resolved again on every request and refused if they leave the
study directory. Requests whose Host is not this server (DNS rebinding) and POSTs that are not JSON (form
posts from other sites) are refused.

Slow or stuck clients cannot hold the server: each request has REQUEST_SECONDS in all to arrive (a client
sending a byte every few seconds is cut off, not just an idle one), at most MAX_CONNECTIONS are served at
once (further ones wait in the listen backlog, then get a 503), and a client that hangs up early is not
a traceback.
"""
from __future__ import annotations

import io
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from runtime.errors import SharpcamError

from benchmarks.mos.answers import AnswerLog, check_rater, validate
from benchmarks.mos.study import CRITERIA, IMAGE_SUFFIXES, NOT_APPLICABLE, SCALE, Study, load_study

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"/": ("index.html", "text/html; charset=utf-8"), "/app.js": ("app.js", "text/javascript; charset=utf-8"),
         "/app.css": ("app.css", "text/css; charset=utf-8")}
MAX_BODY = 16 * 1024
REQUEST_SECONDS = 20.0  # for a whole request to arrive, however slowly its bytes come
MAX_CONNECTIONS = 128  # served at once, each on its own thread
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'none'"}


@dataclass
class ServeConfig:
    study: Path
    port: int = 8765  # 0: any free port
    verbose: bool = False


class MosServer(ThreadingHTTPServer):
    daemon_threads = True
    # A class of raters opening the page at once is a burst of connections: the default backlog of 5 makes
    # the kernel reset the rest. Each connection gets its own thread, so the backlog only has to hold them
    # until accept() runs.
    request_queue_size = 512

    def __init__(self, study: Study, port: int, verbose: bool = False) -> None:
        super().__init__(("127.0.0.1", port), Handler)  # localhost only, by design: no --host option
        self.study, self.log, self.verbose = study, AnswerLog(study), verbose
        self.hosts = {f"127.0.0.1:{self.server_port}", f"localhost:{self.server_port}"}

        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request, client_address) -> None:
        """A thread per connection, at most MAX_CONNECTIONS of them: a burst waits for a slot (in the listen
        backlog), a flood that keeps every slot past REQUEST_SECONDS gets a 503."""
        if not self._slots.acquire(timeout=REQUEST_SECONDS):
            try:
                request.sendall(BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        """A client that hung up or timed out is routine, not a traceback; anything else is a bug: shown."""
        import sys
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/"

    def progress(self, rater: str) -> dict:
        """How far the rater is and which pair comes next, from the answers already on disk."""
        done = self.log.answered(rater)
        order = self.study.order(rater)
        upcoming = next((pid for pid, _ in order if pid not in done), None)
        return {"rater": rater, "done": sum(pid in done for pid, _ in order), "total": len(order), "pair": upcoming}


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each given only what is left of the request's time (socket timeouts alone restart
    with every byte, so a byte every 5 s would hold a thread forever)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock, self.deadline = sock, time.monotonic() + REQUEST_SECONDS

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


class Handler(BaseHTTPRequestHandler):
    server: MosServer
    server_version = "sharpcam-mos"
    sys_version = ""
    timeout = REQUEST_SECONDS  # also bounds a write to a client that stopped reading

    def setup(self) -> None:
        super().setup()
        self._reader = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + REQUEST_SECONDS  # each request on a kept-alive connection
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):  # hung up or too slow: nothing to answer, no traceback
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        if self.server.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, ctype: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        for k, v in HEADERS.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: object) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.server.hosts:
            return True
        self._error(403, f"wrong Host header: open {self.server.url}")
        return False

    def _query(self, names: tuple[str, ...]) -> dict[str, str]:
        query = parse_qs(urlsplit(self.path).query, keep_blank_values=True)
        if set(query) != set(names) or any(len(v) != 1 for v in query.values()):
            raise SharpcamError(f"expected exactly the query parameters {', '.join(names)}")
        return {k: v[0] for k, v in query.items()}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if not self._host_ok():
            return
        path = urlsplit(self.path).path  # deliberately not unquoted: '%2e%2e' matches no route
        try:
            if path in PAGES:
                name, ctype = PAGES[path]
                self._send(200, (STATIC / name).read_bytes(), ctype)
            elif path == "/api/study":
                self._json(200, self._study_info())
            elif path == "/api/next":
                self._json(200, self.server.progress(check_rater(self.server.study, self._query(("rater",))["rater"])))
            elif path == "/api/image":
                self._image(self._query(("rater", "pair", "side")))
            else:
                self._error(404, "not found")
        except SharpcamError as err:
            self._error(400, str(err))

    do_HEAD = do_GET

    def _study_info(self) -> dict:
        s = self.server.study
        return {"name": s.name,
                "criteria": [{"id": c, "label": CRITERIA[c], "na": c in NOT_APPLICABLE} for c in s.criteria],
                "scale": {str(k): v for k, v in SCALE.items()}, "raters": s.raters, "total": len(s.pairs)}

    def _image(self, q: dict[str, str]) -> None:
        study = self.server.study
        rater = check_rater(study, q["rater"])
        if q["pair"] not in study.pairs:
            raise SharpcamError("unknown pair id")
        if q["side"] not in ("left", "right"):
            raise SharpcamError("side must be left or right")
        left, right = study.sides(rater, q["pair"])
        try:  # resolved again on every request: a file swapped for a symlink since start-up is still refused
            path = study.image_path(study.pairs[q["pair"]].image, left if q["side"] == "left" else right)
        except SharpcamError:
            self._error(404, "image not available; the study directory changed since the server started")
            return
        self._send(200, path.read_bytes(), IMAGE_SUFFIXES[path.suffix.lower()], cache="private, max-age=3600")

    def do_POST(self) -> None:  # noqa: N802
        if not self._host_ok():
            return
        if urlsplit(self.path).path != "/api/answer":
            self._error(404, "not found")
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._error(415, "send the answer as application/json")
            return
        length = self.headers.get("Content-Length", "")
        if not length.isdigit() or int(length) > MAX_BODY:
            self._error(413, f"the answer must have a Content-Length of at most {MAX_BODY} bytes")
            return
        try:
            body = json.loads(self.rfile.read(int(length)) or b"null")
            record = validate(self.server.study, body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._error(400, "the answer is not valid JSON")
            return
        except (RecursionError, ValueError):  # nesting deeper than Python's stack, a number of 5000 digits
            self._error(400, "the answer is nested too deeply or holds a number too large")
            return
        except SharpcamError as err:
            self._error(400, str(err))
            return
        self.server.log.append(record)  # on disk (fsync'd) before the page is told to move on
        self._json(200, self.server.progress(record["rater"]))


def make_server(cfg: ServeConfig) -> MosServer:
    study = load_study(cfg.study)
    try:
        return MosServer(study, cfg.port, cfg.verbose)
    except OSError as err:
        raise SharpcamError(f"cannot listen on 127.0.0.1:{cfg.port} ({err.strerror}); try --port 0 "
                            "for any free port") from err

