"""`sharpcam app`'s server without a browser (aiohttp's test client): the token on every route, the Host
(DNS rebinding) and the Origin (other sites' pages) checks, the controls' validation, and the one line that
names the [app] extra when it is missing. The session is a stand-in: what is tested is who gets through."""
from __future__ import annotations

import asyncio
import sys

import pytest

pytest.importorskip("aiohttp", reason="the [app] extra is not installed: pip install -e '.[app]'")
pytest.importorskip("aiortc", reason="the [app] extra is not installed: pip install -e '.[app]'")
from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from runtime.app.cli import exposure_warning  # noqa: E402
from runtime.app.guard import TOKEN_HEADER, Guard, new_token  # noqa: E402
from runtime.app.server import make_app  # noqa: E402
from runtime.controls import Controls  # noqa: E402
from runtime.settings import load_settings  # noqa: E402

ROUTES = [("GET", "/"), ("GET", "/static/app.js"), ("GET", "/static/app.css"), ("GET", "/api/state"),
          ("GET", "/api/still"),
          ("POST", "/api/offer"), ("POST", "/api/camera"), ("POST", "/api/controls")]


class FakeLive:
    """The LiveSession's surface the routes use."""

    def __init__(self) -> None:
        self.controls = Controls(strength=1.0)
        self.hub = None

    def set_strength(self, value: float) -> float:
        self.controls.strength = value
        return value

    def set_low_light(self, mode: str) -> str:
        self.controls.low_light = mode
        return mode

    def set_temporal(self, on: bool) -> bool:
        self.controls.temporal = on
        return on

    def state(self) -> dict:
        return {"strength": self.controls.strength}

    def still_png(self) -> bytes:
        return b"\x89PNG stand-in"


def talk(check, bind: str = "127.0.0.1") -> None:
    """Run `check(client, guard, live)` against the app served on a free loopback port."""
    async def main() -> None:
        guard, live = Guard(new_token(), bind=bind), FakeLive()
        async with TestClient(TestServer(make_app(guard, live), host="127.0.0.1", port=0)) as client:
            guard.port = client.server.port
            await check(client, guard, live)
    asyncio.run(main())


def test_every_route_refuses_a_request_without_the_right_token():
    async def check(client, guard, _live):
        for method, path in ROUTES:
            for headers in ({}, {TOKEN_HEADER: "wrong"}, {TOKEN_HEADER: guard.token[:-1]}):
                response = await client.request(method, path, headers=headers, json={})
                assert response.status == 403, (method, path, headers)
        response = await client.get("/", params={"token": guard.token})
        assert response.status == 200
        assert f'content="{guard.token}"' in await response.text()  # the page's own requests carry it
        assert response.headers["Referrer-Policy"] == "no-referrer"  # the token never leaves in a Referer
        for path in ("/static/app.js", "/api/state"):
            assert (await client.get(path, headers={TOKEN_HEADER: guard.token})).status == 200
        still = await client.get("/api/still", headers={TOKEN_HEADER: guard.token})
        assert still.headers["Content-Type"] == "image/png" and await still.read() == b"\x89PNG stand-in"
    talk(check)


def test_a_foreign_host_is_refused_even_with_the_token():
    """DNS rebinding: evil.example resolving to 127.0.0.1 reaches the port, but its Host header gives it away."""
    async def check(client, guard, _live):
        for host in ("evil.example", f"evil.example:{guard.port}", f"127.0.0.1:{guard.port + 1}"):
            response = await client.get("/api/state", headers={TOKEN_HEADER: guard.token, "Host": host})
            assert response.status == 403, host
        for host in (f"127.0.0.1:{guard.port}", f"localhost:{guard.port}"):
            response = await client.get("/api/state", headers={TOKEN_HEADER: guard.token, "Host": host})
            assert response.status == 200, host
    talk(check)


def test_another_sites_page_is_refused_even_with_the_token():
    async def check(client, guard, live):
        for origin in ("https://evil.example", "null", f"http://localhost:{guard.port + 1}"):
            response = await client.post("/api/controls", json={"strength": 0.0},
                                         headers={TOKEN_HEADER: guard.token, "Origin": origin})
            assert response.status == 403, origin
        assert live.controls.strength == 1.0  # nothing got through
        response = await client.post("/api/controls", json={"strength": 0.25},
                                     headers={TOKEN_HEADER: guard.token, "Origin": f"http://127.0.0.1:{guard.port}"})
        assert response.status == 200 and live.controls.strength == 0.25
        assert load_settings().strength == 0.25  # the slider's last value is the next run's start
    talk(check)


def test_controls_refuse_what_is_not_a_strength():
    async def check(client, guard, live):
        for body in ({"strength": 1.5}, {"strength": -0.1}, {"strength": "1"}, {"strength": True}, {}, [0.5]):
            response = await client.post("/api/controls", json=body, headers={TOKEN_HEADER: guard.token})
            assert response.status == 400, body
        assert live.controls.strength == 1.0
    talk(check)


def test_the_toggles_reach_the_session_and_are_remembered_for_the_app_and_cam():
    async def check(client, guard, live):
        for body in ({"low_light": "dim"}, {"low_light": None}, {"temporal": "off"}, {"temporal": 0},
                     {"strength": 0.5, "temporal": "no"}):  # one bad value refuses the whole request
            response = await client.post("/api/controls", json=body, headers={TOKEN_HEADER: guard.token})
            assert response.status == 400, body
        assert live.controls == Controls(strength=1.0)
        response = await client.post("/api/controls", json={"low_light": "on", "temporal": False},
                                     headers={TOKEN_HEADER: guard.token})
        assert response.status == 200 and await response.json() == {"low_light": "on", "temporal": False}
        assert live.controls.low_light == "on" and live.controls.temporal is False
        assert load_settings().low_light == "on" and load_settings().temporal is False
    talk(check)


def test_a_wildcard_bind_is_guarded_by_the_token_and_warned_about():
    async def check(client, guard, _live):
        assert (await client.get("/api/state", headers={TOKEN_HEADER: guard.token, "Host": "192.0.2.7:1"})).status == 200
        assert (await client.get("/api/state", headers={"Host": "192.0.2.7:1"})).status == 403
    talk(check, bind="0.0.0.0")
    assert "anyone on the network" in exposure_warning("0.0.0.0")
    assert exposure_warning("127.0.0.1") is None


def test_without_the_extra_the_command_names_it_in_one_line(monkeypatch, capsys):
    from runtime import cli
    monkeypatch.setitem(sys.modules, "aiortc", None)  # import aiortc now raises ImportError
    with pytest.raises(SystemExit) as exit_:
        cli.main(["app", "--no-browser"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'sharpcam[app]'" in err[0], err


def test_a_source_that_cannot_open_is_one_line_before_anything_is_served(tmp_path, capsys):
    from runtime import cli
    with pytest.raises(SystemExit) as exit_:
        cli.main(["app", "--no-browser", "--source", str(tmp_path / "missing.mp4")])
    assert exit_.value.code == 2
    out = capsys.readouterr()
    assert "missing.mp4" in out.err and out.err.strip().count("\n") == 0 and "http://" not in out.out
