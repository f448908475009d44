"""`sharpcam app`'s source picker and outputs through the server (aiohttp's test client, no browser): the page
names files, and nothing it names reaches the filesystem outside the folder the user chose (--out for
recordings and snapshots, --media for videos to play): no absolute path, no `..`, no symbolic link out. A
recording is a real video file (the `cam` writer), a snapshot a real PNG of the model's output."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("aiohttp", reason="the [app] extra is not installed: pip install -e '.[app]'")
pytest.importorskip("aiortc", reason="the [app] extra is not installed: pip install -e '.[app]'")
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from runtime.app.guard import TOKEN_HEADER, Guard, new_token  # noqa: E402
from runtime.app.outputs import Outputs  # noqa: E402
from runtime.app.server import make_app  # noqa: E402
from runtime.imaging import opencv  # noqa: E402
from runtime.settings import load_settings  # noqa: E402

SIZE = (64, 48)
ESCAPES = ["../outside.png", "/tmp/outside.png", "sub/../../outside.png", "link/outside.png", ".hidden.png", ""]


class FakeLive:
    """The LiveSession's surface the picker uses: the outputs, and the source it was asked to use."""

    def __init__(self, out: Path) -> None:
        self.outputs = Outputs(out)
        self.outputs.use_source(SIZE, 10.0)
        self.used: list[str] = []
        self.hub = None

    def use(self, spec: str) -> None:
        self.used.append(spec)


def frame(level: int) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), level, np.uint8)


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path, Path]:
    out, media, elsewhere = tmp_path / "out", tmp_path / "media", tmp_path / "elsewhere"
    for folder in (out, media, elsewhere):
        folder.mkdir()
    os.symlink(elsewhere, out / "link")  # a link inside --out that leads out of it
    (media / "talk.mp4").write_bytes(b"not opened by the fake session")
    (elsewhere / "secret.mp4").write_bytes(b"")
    os.symlink(elsewhere / "secret.mp4", media / "linked.mp4")
    return out, media, elsewhere


def talk(folders, check) -> None:
    out, media, elsewhere = folders

    async def main() -> None:
        guard, live = Guard(new_token()), FakeLive(out)
        async with TestClient(TestServer(make_app(guard, live, media), host="127.0.0.1", port=0)) as client:
            guard.port = client.server.port

            async def post(path: str, body: dict):
                return await client.post(path, json=body, headers={TOKEN_HEADER: guard.token})
            await check(client, post, guard, live)
    asyncio.run(main())


def test_snapshots_and_recordings_stay_inside_the_output_folder(folders):
    out, _media, elsewhere = folders

    async def check(client, post, guard, live):
        for name in ESCAPES:
            for path, body in (("/api/snapshot", {"name": name}), ("/api/record", {"name": name[:-4] + ".mp4"})):
                response = await post(path, body)
                assert response.status == 400, (path, name, await response.text())
        assert [p.name for p in elsewhere.iterdir()] == ["secret.mp4"] and not (out.parent / "outside.png").exists()

        assert (await post("/api/snapshot", {"name": "early.png"})).status == 400  # no frame yet: says so
        live.outputs.write(frame(90))
        response = await post("/api/snapshot", {"name": "shot.png"})
        assert response.status == 200, await response.text()
        shot = opencv().imread(str(out / "shot.png"))
        assert shot.shape == (SIZE[1], SIZE[0], 3) and abs(int(shot.mean()) - 90) <= 1

        response = await post("/api/record", {"name": "take.mkv"})
        assert response.status == 200, await response.text()
        for level in range(0, 200, 10):
            live.outputs.write(frame(level))
        assert (await (await post("/api/record", {"name": None})).json()) == {"stopped": "take.mkv"}
        capture = opencv().VideoCapture(str(out / "take.mkv"))
        frames = 0
        while capture.read()[0]:
            frames += 1
        assert frames == 20
        assert (await post("/api/record", {"name": "take.mkv"})).status == 400  # never overwrites a take
    talk(folders, check)


def test_the_source_picker_offers_and_accepts_only_what_it_lists(folders):
    _out, media, _elsewhere = folders

    async def check(client, post, guard, live):
        listed = await (await client.get("/api/sources", headers={TOKEN_HEADER: guard.token})).json()
        assert listed["files"] == ["talk.mp4"]  # the link to a file elsewhere is not offered
        for body in ({"kind": "file", "name": "linked.mp4"}, {"kind": "file", "name": "../elsewhere/secret.mp4"},
                     {"kind": "file", "name": str(media / "talk.mp4")}, {"kind": "camera", "path": "/etc/passwd"},
                     {"kind": "camera", "path": "/dev/video99"}, {"kind": "shell"}):
            response = await post("/api/source", body)
            assert response.status == 400, (body, await response.text())
        assert live.used == []
        assert (await post("/api/source", {"kind": "file", "name": "talk.mp4"})).status == 200
        assert (await post("/api/source", {"kind": "builtin"})).status == 200
        assert live.used == [str((media / "talk.mp4").resolve()), "builtin"]
        assert load_settings().source == "builtin"  # the next `sharpcam app` starts on the last one picked
    talk(folders, check)


def test_the_virtual_camera_says_why_it_cannot_start(folders, monkeypatch):
    """No v4l2loopback here (as on these machines): the page gets the reason in one line, not a server error."""
    from runtime.errors import SharpcamError

    def no_device(*args, **kwargs):
        raise SharpcamError("no virtual camera found: load v4l2loopback")
    monkeypatch.setattr("runtime.app.outputs.open_sink", no_device)

    async def check(client, post, guard, live):
        response = await post("/api/vcam", {"on": True})
        assert response.status == 400 and "v4l2loopback" in await response.text()
        assert (await post("/api/vcam", {"on": "yes"})).status == 400
        assert await (await post("/api/vcam", {"on": False})).json() == {"vcam": False}
    talk(folders, check)


def test_the_page_shows_the_output_folder_as_a_real_folder_the_home_as_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Outputs(tmp_path / "Videos" / "sharpcam").state()["folder"] == os.path.join("~", "Videos", "sharpcam")
    monkeypatch.chdir(tmp_path.parent)
    assert Outputs(Path(".")).state()["folder"] == str(tmp_path.parent.resolve())  # never "."
