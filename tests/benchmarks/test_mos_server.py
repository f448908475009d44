"""The rating server over real HTTP: the answer flow, resume, validation, blindness, and no way out of the
study directory."""
from __future__ import annotations

import http.client
import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_mos_study import fake_study, version_level

from benchmarks.mos.answers import load_answers, read_lines, validate
from benchmarks.mos.server import MosServer, ServeConfig, make_server
from benchmarks.mos.study import load_study

CRITERIA = ("sharpness", "edges", "text", "natural")


class Client:
    def __init__(self, server: MosServer) -> None:
        self.port = server.server_port

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                host: str | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)  # the path goes out as given
        conn.putheader("Host", host or f"127.0.0.1:{self.port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        res = conn.getresponse()
        data = res.read()
        conn.close()
        return res.status, data

    def get_json(self, path: str) -> tuple[int, dict]:
        status, data = self.request("GET", path)
        return status, json.loads(data)

    def answer(self, body: object, ctype: str = "application/json") -> tuple[int, dict]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, data = self.request("POST", "/api/answer", raw, {"Content-Type": ctype})
        return status, json.loads(data)


def start(root: Path) -> MosServer:
    server = make_server(ServeConfig(root, port=0))
    # a short poll interval: shutdown() waits for it, and every test stops a server
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[MosServer, Client]]:
    server = start(fake_study(tmp_path / "study", n_images=3))
    yield server, Client(server)
    server.shutdown()
    server.server_close()


def ratings(left: int, right: int) -> dict:
    return {"left": {c: left for c in CRITERIA}, "right": {c: right for c in CRITERIA}}


def test_binds_localhost_only_and_serves_the_page(running):
    server, client = running
    assert server.server_address[0] == "127.0.0.1"
    for path in ("/", "/app.js", "/app.css", "/api/study"):
        status, body = client.request("GET", path)
        assert status == 200 and body, path
    status, body = client.request("GET", "/", host=f"localhost:{client.port}")
    assert status == 200 and b"rater id" in body


def test_answers_are_saved_with_the_servers_sides_and_the_session_resumes(running, tmp_path):
    server, client = running
    study = server.study
    status, progress = client.get_json("/api/next?rater=r01")
    assert status == 200 and progress == {"rater": "r01", "done": 0, "total": 3, "pair": study.order("r01")[0][0]}
    pair = progress["pair"]
    left, right = study.sides("r01", pair)
    status, after = client.answer({"rater": "r01", "pair": pair, **ratings(5, 2), "preference": "right",
                                   "elapsed_ms": 1234})
    assert status == 200 and after["done"] == 1 and after["pair"] == study.order("r01")[1][0]
    (record,) = read_lines(study.answers_path)[0]  # on disk before the page was answered
    assert (record["left"], record["right"]) == (left, right)
    assert record["scores"] == {left: dict.fromkeys(CRITERIA, 5), right: dict.fromkeys(CRITERIA, 2)}
    assert record["preferred"] == right and record["elapsed_ms"] == 1234 and record["rater"] == "r01"
    assert record["image"] == study.pairs[pair].image and record["category"] == study.pairs[pair].category
    # another rater is independent; a new server on the same directory resumes r01 from disk
    assert client.get_json("/api/next?rater=r02")[1]["done"] == 0
    again = start(study.root)
    try:
        assert Client(again).get_json("/api/next?rater=r01")[1] == after
    finally:
        again.shutdown()
        again.server_close()


def test_image_sides_match_the_recorded_versions(running):
    server, client = running
    study = server.study
    for pid, _ in study.order("r02"):
        for side, version in zip(("left", "right"), study.sides("r02", pid)):
            status, png = client.request("GET", f"/api/image?rater=r02&pair={pid}&side={side}")
            assert status == 200
            level = version_level(study.versions.index(version))
            assert np.all(np.asarray(Image.open(io.BytesIO(png))) == level)


def test_the_page_is_blind(running):
    server, client = running
    texts = [client.request("GET", p)[1] for p in ("/", "/app.js", "/api/study", "/api/next?rater=r01")]
    for version in server.study.versions:
        assert not any(version.encode() in t for t in texts), version


def test_resubmission_appends_and_the_last_wins(running):
    server, client = running
    pair = server.study.order("r01")[0][0]
    for score in (1, 4):
        assert client.answer({"rater": "r01", "pair": pair, **ratings(score, score), "preference": "none"})[0] == 200
    answers = load_answers(server.study)
    assert len(read_lines(server.study.answers_path)[0]) == 2 and answers.replaced == 1
    (record,) = answers.latest.values()
    assert set(record["scores"][server.study.versions[0]].values()) == {4}
    assert client.get_json("/api/next?rater=r01")[1]["done"] == 1


GOOD = {"rater": "r01", "pair": "img0~0", **ratings(3, 3), "preference": "left"}


@pytest.mark.parametrize("bad, message", [
    (GOOD | {"left": {c: 0 for c in CRITERIA}}, "1 to 5"),
    (GOOD | {"left": {c: 6 for c in CRITERIA}}, "1 to 5"),
    (GOOD | {"right": {c: "4" for c in CRITERIA}}, "1 to 5"),
    (GOOD | {"right": {c: 4.0 for c in CRITERIA}}, "1 to 5"),
    (GOOD | {"right": {c: True for c in CRITERIA}}, "1 to 5"),
    (GOOD | {"left": {c: 3 for c in CRITERIA[:3]}}, "exactly these criteria"),
    (GOOD | {"left": {c: 3 for c in (*CRITERIA, "loudness")}}, "exactly these criteria"),
    (GOOD | {"admin": True}, "no others"),
    ({k: v for k, v in GOOD.items() if k != "preference"}, "fields"),
    (GOOD | {"pair": "../../etc/passwd"}, "unknown pair"),
    (GOOD | {"pair": "img9~0"}, "unknown pair"),
    (GOOD | {"rater": "r99"}, "unknown rater"),
    (GOOD | {"rater": "../r01"}, "rater id must be"),
    (GOOD | {"preference": "both"}, "preference"),
    (GOOD | {"elapsed_ms": -5}, "elapsed_ms"),
    ([GOOD], "JSON object"),
    (b"{not json", "not valid JSON"),
    (b"[" * 5000 + b"]" * 5000, "nested too deeply"),  # 10 kB, under the size limit: Python's stack is not
    (b'{"elapsed_ms": ' + b"9" * 5000 + b"}", "number too large"),
])
def test_bad_answers_get_400_with_a_reason_and_nothing_is_written(running, bad, message):
    server, client = running
    status, body = client.answer(bad)
    assert status == 400 and message in body["error"]
    assert not server.study.answers_path.exists()
    assert client.answer(GOOD)[0] == 200  # the same server still takes a good one


def test_wrong_content_type_size_or_host_is_refused(running):
    server, client = running
    assert client.answer(GOOD, ctype="text/plain")[0] == 415  # a cross-site form post cannot send JSON
    status, _ = client.request("POST", "/api/answer", b"x" * 20000, {"Content-Type": "application/json"})
    assert status == 413
    assert client.request("GET", "/api/study", host="attacker.example:80")[0] == 403  # DNS rebinding
    assert client.request("POST", "/api/answer", json.dumps(GOOD).encode(), {"Content-Type": "application/json"},
                          host="attacker.example")[0] == 403
    assert client.request("POST", "/api/other", b"{}", {"Content-Type": "application/json"})[0] == 404
    assert not server.study.answers_path.exists()


@pytest.mark.parametrize("path", [
    "/../study.json", "/%2e%2e/study.json", "/%2E%2E%2Fstudy.json", "/app.js/../study.json",
    "/app.js%2f..%2f..%2fstudy.json", "/images/blurred/img0.png", "/study.json", "/answers.jsonl",
    "//etc/passwd", "/etc/passwd", "/..%5c..%5cstudy.json", "/static/app.js", "/index.html",
])
def test_no_url_path_reaches_a_file(running, path):
    server, client = running
    (server.study.root / "answers.jsonl").write_text('{"secret": 1}\n')
    status, body = client.request("GET", path)
    assert status == 404 and b"secret" not in body and b"fake" not in body and b"PNG" not in body


@pytest.mark.parametrize("query", [
    "rater=r01&pair=../../study.json&side=left", "rater=r01&pair=img0~0&side=../../study.json",
    "rater=r01&pair=%2e%2e%2fstudy.json&side=left", "rater=../r01&pair=img0~0&side=left",
    "rater=r01&pair=img0~0&side=left&side=right", "rater=r01&pair=img0~0", "rater=r01&pair=img0~0&side=left&x=1",
    "rater=r01&pair=/etc/passwd&side=left",
])
def test_image_requests_take_only_known_ids(running, query):
    _, client = running
    status, body = client.request("GET", f"/api/image?{query}")
    assert status == 400 and b"PNG" not in body


def test_a_file_swapped_for_a_symlink_after_start_is_not_served(running, tmp_path):
    server, client = running
    secret = tmp_path / "secret.png"
    Image.fromarray(np.full((4, 4, 3), 7, np.uint8)).save(secret)
    pid = server.study.order("r01")[0][0]
    version = server.study.sides("r01", pid)[0]
    target = server.study.image_path(server.study.pairs[pid].image, version)
    target.unlink()
    target.symlink_to(secret)
    status, body = client.request("GET", f"/api/image?rater=r01&pair={pid}&side=left")
    assert status == 404 and b"PNG" not in body


def test_a_torn_last_line_is_skipped_and_does_not_swallow_the_next_answer(tmp_path):
    root = fake_study(tmp_path / "study")
    study = load_study(root)
    first = study.order("r01")[0][0]
    line = json.dumps(validate(study, GOOD | {"pair": first}))  # a whole line, as the server writes them
    study.answers_path.write_text(line + "\n" + line[:25])  # killed in the middle of a write
    server = start(root)
    try:
        assert Client(server).get_json("/api/next?rater=r01")[1]["done"] == 1
        assert Client(server).answer(GOOD | {"pair": study.order("r01")[1][0]})[0] == 200
    finally:
        server.shutdown()
        server.server_close()
    records, bad = read_lines(study.answers_path)
    assert len(records) == 2 and bad == 1
    assert os.path.getsize(study.answers_path) > 0


def test_a_burst_of_200_concurrent_answers_is_answered_without_resets(running):
    """A class opening the page at once: every POST gets its 200 and its line in answers.jsonl."""
    server, client = running
    pairs = [pid for pid, _ in server.study.order("r01")]
    go, results = threading.Barrier(200), []

    def post(i: int) -> None:
        go.wait()
        try:
            results.append(client.answer(GOOD | {"pair": pairs[i % len(pairs)]})[0])
        except OSError as err:  # a reset or refused connection
            results.append(repr(err))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results == [200] * 200, [r for r in results if r != 200][:3]
    records, torn = read_lines(server.study.answers_path)
    assert len(records) == 200 and torn == 0


def test_serving_needs_neither_pillow_nor_the_training_tools(tmp_path):
    """`sharpcam mos serve` from a base install: the page, the study and an image come back with Pillow,
    torch, SciPy and scikit-image all unimportable (prepare and report still need them)."""
    import subprocess
    import sys
    root = fake_study(tmp_path)
    script = (
        "import sys, json, threading, urllib.request\n"
        "for m in ('PIL', 'torch', 'scipy', 'skimage', 'matplotlib'): sys.modules[m] = None\n"
        "from benchmarks.mos.server import ServeConfig, make_server\n"
        f"server = make_server(ServeConfig(__import__('pathlib').Path({str(root)!r}), port=0))\n"
        "threading.Thread(target=server.serve_forever, daemon=True).start()\n"
        "base = f'http://127.0.0.1:{server.server_address[1]}'\n"
        "page = urllib.request.urlopen(base + '/').read()\n"
        "study = json.loads(urllib.request.urlopen(base + '/api/study').read())\n"
        "server.shutdown()\n"
        "print(len(page) > 500, len(study['criteria']))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "4"]
