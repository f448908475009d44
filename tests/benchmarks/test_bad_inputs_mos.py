"""benchmarks.mos fed bad inputs (issue 23): malformed study.json (schema: names and types of every field),
answers.jsonl lines that cannot count (quarantined with a warning, never fatal), a manifest id that would
write outside --out, and clients that are slow or hang up. Each bounded in time."""
from __future__ import annotations

import json
import shutil
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_mos_study import fake_study

import benchmarks.mos.server as server_module
from benchmarks.mos.__main__ import main as mos_main
from benchmarks.mos.answers import validate
from benchmarks.mos.server import ServeConfig, make_server
from benchmarks.mos.study import CRITERIA, load_study
from deadline import deadline
from refusals import refused


def _study_with(root: Path, **changes) -> Path:
    fake_study(root)
    data = json.loads((root / "study.json").read_text())
    for key, value in changes.items():
        if value is ...:
            data.pop(key)
        else:
            data[key] = value
    (root / "study.json").write_text(json.dumps(data))
    return root


DEEP = 100_000
STUDY_TEXTS = {  # raw study.json contents that are not JSON a study can be read from
    "nested 100000 deep": '{"version": 1, "images": ' + "[" * DEEP + "]" * DEEP + "}",
    "a 5000-digit seed": '{"version": 1, "seed": ' + "7" * 5000 + "}",
    "not UTF-8": b'{"version": 1, "name": "\xff\xfe"}',
    "truncated": '{"version": 1, "versions": ["a", "b"',
}
STUDY_FIELDS = {  # one field of a valid study made wrong
    "a 30-digit seed": {"seed": 10 ** 30}, "a float seed": {"seed": 1.5}, "a true seed": {"seed": True},
    "versions as text": {"versions": "ab"}, "versions of numbers": {"versions": [1, 2]},
    "images as a number": {"images": 5}, "images of numbers": {"images": [5, 6]},
    "an image id number": {"images": [{"id": 5}]}, "an image with an unknown field": {"images": [{"id": "img0", "x": 1}]},
    "an image category list": {"images": [{"id": "img0", "category": ["a"]}]},
    "comparisons as a number": {"comparisons": 5}, "comparisons of objects": {"comparisons": [{"a": 1}]},
    "criteria of objects": {"criteria": [{}]}, "criteria unknown": {"criteria": ["loudness"]},
    "raters true": {"raters": True}, "raters of objects": {"raters": [{}]}, "raters 0": {"raters": 0},
    "name a number": {"name": 5}, "layout a number": {"layout": 5},
    "layout with an unknown field": {"layout": "images/{version}/{id}{size}.png"},
    "layout with a positional field": {"layout": "images/{version}/{id}{0}.png"},
    "layout with an attribute": {"layout": "images/{version}/{id.real}.png"},
    "an unknown top-level field": {"rater": 3}, "a list for a study": None,
    "version 2": {"version": 2}, "no versions": {"versions": ...},
}


@pytest.mark.parametrize("case", sorted(STUDY_TEXTS))
@deadline(30)
def test_a_study_file_that_is_not_json_is_refused(tmp_path, capsys, case):
    text = STUDY_TEXTS[case]
    (tmp_path / "study.json").write_bytes(text if isinstance(text, bytes) else text.encode())
    assert "study.json" in refused(mos_main, ["report", str(tmp_path)], capsys)


@pytest.mark.parametrize("case", sorted(STUDY_FIELDS))
@deadline(30)
def test_a_study_field_of_the_wrong_name_or_type_is_refused(tmp_path, capsys, case):
    if STUDY_FIELDS[case] is None:
        fake_study(tmp_path)
        (tmp_path / "study.json").write_text("[1, 2]")
    else:
        _study_with(tmp_path, **STUDY_FIELDS[case])
    for command in ("report", "serve"):
        assert "study.json" in refused(mos_main, [command, str(tmp_path), "--port", "0"][:2 + 2 * (command == "serve")],
                                       capsys)


def _good_record(study) -> dict:
    pair = study.order("r01")[0][0]
    return validate(study, {"rater": "r01", "pair": pair, "left": {c: 4 for c in CRITERIA},
                            "right": {c: 2 for c in CRITERIA}, "preference": "left"})


def _bad_line(study, case: str) -> bytes:
    good = _good_record(study)
    if case == "non-UTF-8 bytes":
        return b'{"rater": "r01", "pair": "\xff\xfe"}'
    if case == "nested 100000 deep":
        return b"[" * DEEP + b"]" * DEEP
    if case == "a 5000-digit number":
        return b'{"rater": ' + b"9" * 5000 + b"}"
    if case == "an array":
        return b"[1, 2, 3]"
    changed = dict(good)
    if case == "a score of 99":
        changed["scores"] = {v: {c: 99 for c in CRITERIA} for v in good["scores"]}
    elif case == "a score of 0":
        changed["scores"] = {v: {c: 0 for c in CRITERIA} for v in good["scores"]}
    elif case == "a score of 3.5":
        changed["scores"] = {v: {c: 3.5 for c in CRITERIA} for v in good["scores"]}
    elif case == "a pair that is a list":
        changed["pair"] = [1]
    elif case == "a rater that is a number":
        changed["rater"] = 7
    elif case == "scores as text":
        changed["scores"] = "great"
    elif case == "scores missing a criterion":
        changed["scores"] = {v: {"sharpness": 3} for v in good["scores"]}
    elif case == "a foreign version":
        changed["left"] = "other"
    elif case == "preferred a third version":
        changed["preferred"] = "other"
    elif case == "no scores":
        del changed["scores"]
    elif case == "no preferred":
        del changed["preferred"]
    return json.dumps(changed).encode()


BAD_LINES = ["non-UTF-8 bytes", "nested 100000 deep", "a 5000-digit number", "an array", "a score of 99",
             "a score of 0", "a score of 3.5", "a pair that is a list", "a rater that is a number", "scores as text",
             "scores missing a criterion", "a foreign version", "preferred a third version", "no scores",
             "no preferred"]


@pytest.mark.parametrize("case", BAD_LINES)
@deadline(60)
def test_a_bad_answer_line_is_set_aside_with_a_warning_and_the_rest_counts(tmp_path, capsys, case):
    study = load_study(fake_study(tmp_path / "study"))
    good = json.dumps(_good_record(study)).encode()
    study.answers_path.write_bytes(b"\n".join([good, _bad_line(study, case), b""]))
    mos_main(["report", str(study.root)])
    err = capsys.readouterr().err
    assert "warning:" in err and "set aside" in err and "Traceback" not in err
    report = json.loads((study.root / "report.json").read_text())
    assert report["answers"] == 1 and report["unreadable_lines"] + report["invalid_lines"] == 1
    means = [report["mos"][v]["average"]["mean"] for v in study.versions]
    assert sorted(means) == [2.0, 4.0]  # the good line alone: nothing from the bad one reached the tables
    server = make_server(ServeConfig(study.root, port=0))  # and serve starts despite it
    server.server_close()


@deadline(30)
def test_answers_file_that_is_a_folder_is_reported_as_such(tmp_path, capsys):
    root = fake_study(tmp_path / "study")
    (root / "answers.jsonl").mkdir()
    assert "is a folder" in refused(mos_main, ["report", str(root)], capsys)


@pytest.mark.parametrize("ident", ["../x", "../../escaped", "a/../../b", ".hidden", "/abs"])
@deadline(120)
def test_a_manifest_id_that_would_leave_out_is_refused(mini_corpus, tmp_path, capsys, ident):
    corpus = tmp_path / "corpus"
    shutil.copytree(mini_corpus, corpus)
    manifest = json.loads((corpus / "manifest.json").read_text())
    test_entry = next(e for e in manifest["entries"] if e["split"] == "test")
    test_entry["id"] = ident
    (corpus / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "deep" / "study"
    line = refused(mos_main, ["prepare", str(corpus), "--out", str(out), "--no-model", "--unsharp"], capsys)
    assert "not usable as file names" in line
    written = {p for p in tmp_path.rglob("*") if not p.is_relative_to(corpus)}
    assert all(p.is_dir() for p in written)  # no picture and no study.json anywhere


# the server: slow clients and hang-ups ---------------------------------------------------------------------
@pytest.fixture
def quick_server(tmp_path, monkeypatch):
    """A server whose requests must arrive within 1 s, two at a time."""
    monkeypatch.setattr(server_module, "REQUEST_SECONDS", 1.0)
    monkeypatch.setattr(server_module, "MAX_CONNECTIONS", 2)
    server = make_server(ServeConfig(fake_study(tmp_path / "study"), port=0))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _drip(port: int, seconds: float) -> float:
    """A slowloris client: a byte of a request every 0.2 s; returns when the server cut it off (or gave up)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000:
            try:
                sock.sendall(bytes([byte]))
                sock.settimeout(0.2)
                if sock.recv(1024) == b"":
                    break
            except TimeoutError:
                pass
            except OSError:
                break
            if time.monotonic() - start > seconds:
                break
    return time.monotonic() - start


@deadline(60)
def test_a_slowloris_client_is_cut_off_and_threads_stay_bounded(quick_server):
    port, before = quick_server.server_port, threading.active_count()
    held: list[float] = []
    peak = [0]
    clients = [threading.Thread(target=lambda: held.append(_drip(port, 10))) for _ in range(8)]
    for c in clients:
        c.start()
    for _ in range(20):
        peak[0] = max(peak[0], threading.active_count() - before - len(clients))
        time.sleep(0.1)
    for c in clients:
        c.join(timeout=30)
    assert len(held) == 8 and max(held) < 8  # each cut off after its turn (1 s a request, two at a time)
    assert peak[0] <= 2  # handler threads never more than MAX_CONNECTIONS


@deadline(60)
def test_a_client_hanging_up_mid_response_is_no_traceback(quick_server, capsys):
    study = quick_server.study
    pair = study.order("r01")[0][0]
    left = study.sides("r01", pair)[0]
    big = np.random.default_rng(0).integers(0, 256, (1500, 1500, 3), np.uint8)
    Image.fromarray(big).save(study.image_path(study.pairs[pair].image, left))  # megabytes to send
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", quick_server.server_port))
        sock.sendall(f"GET /api/image?rater=r01&pair={pair}&side=left HTTP/1.1\r\nHost: 127.0.0.1:"
                     f"{quick_server.server_port}\r\n\r\n".encode())
        sock.recv(100)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset, not a FIN
        sock.close()
    time.sleep(1.5)
    assert "Traceback" not in capsys.readouterr().err
