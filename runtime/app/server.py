"""The app's HTTP routes: the page, its two static files, the WebRTC signalling, the controls and the stats.
Every route sits behind the guard (runtime/app/guard.py): token, Host and Origin.

    GET  /?token=T          the page (static/index.html, the token written into it)
    GET  /static/NAME       app.js, app.css
    POST /api/offer         the browser's SDP offer -> the answer; the session's video then flows to it
    POST /api/camera        the same with the page's camera track: it becomes the session's source
    GET  /api/still         the latest before | after as a PNG (the page's still on pause)
    GET  /api/state         strength, stats (fps, dropped, per-stage p50/p95), backend, source
    POST /api/controls      {"strength": 0..1, "low_light": mode, "temporal": bool}, any of them, applied by the
                            pipeline before its next frame
    and the source picker and outputs (runtime/app/picker.py)
"""
from __future__ import annotations

import asyncio
import html
from importlib import resources
from pathlib import Path

from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription

from runtime.app.camera import BROWSER_CAMERA, BrowserCamera, feed
from runtime.app.guard import Guard
from runtime.app.live import LiveSession
from runtime.app.picker import add_picker, in_thread
from runtime.app.request import LIVE, json_body
from runtime.app.stream import HubTrack
from runtime.errors import SharpcamError
from runtime.low_light import MODES as LOW_LIGHT_MODES
from runtime.settings import remember

STATIC = resources.files("runtime.app") / "static"
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}  # nothing else is served from disk
GUARD, PEERS = web.AppKey("guard", Guard), web.AppKey("peers", set)
TASKS = web.AppKey("tasks", set)  # the browser cameras' receivers, kept referenced until they end


def make_app(guard: Guard, live: LiveSession, media: Path = Path(".")) -> web.Application:
    app = web.Application(middlewares=[guard.middleware], client_max_size=256 * 1024)
    app[GUARD], app[LIVE], app[PEERS], app[TASKS] = guard, live, set(), set()
    app.add_routes([web.get("/", page), web.get("/static/{name}", static_file), web.post("/api/offer", offer),
                    web.post("/api/camera", camera_offer),
                    web.get("/api/state", state), web.get("/api/still", still),
                    web.post("/api/controls", controls)])
    add_picker(app, media)
    app.on_shutdown.append(close_peers)
    return app


async def page(request: web.Request) -> web.Response:
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    token = html.escape(request.app[GUARD].token, quote=True)
    text = text.replace("{{TOKEN}}", token)
    return web.Response(text=text, content_type="text/html",
                        headers={"Content-Security-Policy": "default-src 'self'; media-src 'self' blob:; "
                                                            "img-src 'self' blob:; "
                                                            "frame-ancestors 'none'"})


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.Response(text=(STATIC / name).read_text(encoding="utf-8"), content_type=STATIC_FILES[name])


async def offer(request: web.Request) -> web.Response:
    """Answer the page's offer with the session's video (one track per viewer, all from the same hub)."""
    return await answer(request, await offer_body(request))


async def camera_offer(request: web.Request) -> web.Response:
    """The page's camera in, the session's video back on the same connection: once the camera's first frame
    arrives (its size), the camera replaces the running source; when its track ends, the source the app
    started with runs again."""
    body = await offer_body(request)
    fps = body.get("fps")
    fps = float(fps) if isinstance(fps, (int, float)) and not isinstance(fps, bool) and 1 <= fps <= 240 else None
    live = request.app[LIVE]
    loop = asyncio.get_running_loop()

    async def use(camera: BrowserCamera) -> None:
        try:
            await loop.run_in_executor(None, live.use, BROWSER_CAMERA, camera)
        except SharpcamError as err:
            live.error = err

    async def received(track) -> None:
        camera = await feed(track, fps, use)
        if camera is not None:
            try:
                await loop.run_in_executor(None, live.leave, camera)
            except SharpcamError as err:  # stopping, or the first source is gone
                live.error = err

    def on_track(track) -> None:
        if track.kind == "video":
            tasks = request.app[TASKS]
            task = asyncio.ensure_future(received(track))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    return await answer(request, body, on_track)


async def offer_body(request: web.Request) -> dict:
    body = await json_body(request)
    if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
        raise web.HTTPBadRequest(text="expected {type: 'offer', sdp: ...}")
    return body


async def answer(request: web.Request, body: dict, on_track=None) -> web.Response:
    """Answer an offer with the hub's video; `on_track`: what to do with a track the page sends."""
    peer = RTCPeerConnection()  # no ICE servers: the page is on this machine (or the network --host names)
    peers = request.app[PEERS]
    peers.add(peer)

    @peer.on("connectionstatechange")
    async def on_state() -> None:
        if peer.connectionState in ("failed", "closed"):
            peers.discard(peer)
            await peer.close()

    if on_track is not None:
        peer.on("track", on_track)
    await peer.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
    peer.addTrack(HubTrack(request.app[LIVE].hub))
    await peer.setLocalDescription(await peer.createAnswer())
    return web.json_response({"type": peer.localDescription.type, "sdp": peer.localDescription.sdp})


async def state(request: web.Request) -> web.Response:
    return web.json_response(request.app[LIVE].state())


async def still(request: web.Request) -> web.Response:
    png = await in_thread(request.app[LIVE].still_png)  # encoding a 1280x480 PNG takes tens of ms: off the loop
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


async def controls(request: web.Request) -> web.Response:
    """Any of {"strength": 0..1, "low_light": "auto"|"on"|"off", "temporal": true|false}: applied by the
    pipeline before its next frame, and remembered for the next run (of the app, and of `cam`)."""
    body, live = await json_body(request), request.app[LIVE]
    changes = {name: check(body[name]) for name, check in CONTROLS.items() if name in body}
    if not changes:
        raise web.HTTPBadRequest(text=f"expected one or more of {', '.join(CONTROLS)}")
    applied = {"strength": live.set_strength, "low_light": live.set_low_light, "temporal": live.set_temporal}
    try:
        answer = {name: applied[name](value) for name, value in changes.items()}
    except SharpcamError as err:  # the source is changing
        raise web.HTTPConflict(text=str(err)) from err
    await asyncio.get_running_loop().run_in_executor(None, lambda: remember(**answer))  # for next time
    return web.json_response(answer)


def _strength(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise web.HTTPBadRequest(text="strength must be a number from 0 to 1")
    return float(value)


def _low_light(value: object) -> str:
    if value not in LOW_LIGHT_MODES:
        raise web.HTTPBadRequest(text=f"low_light must be one of {', '.join(LOW_LIGHT_MODES)}")
    return value


def _temporal(value: object) -> bool:
    if not isinstance(value, bool):
        raise web.HTTPBadRequest(text="temporal must be true or false")
    return value


CONTROLS = {"strength": _strength, "low_light": _low_light, "temporal": _temporal}  # what the page may change


async def close_peers(app: web.Application) -> None:
    for task in list(app[TASKS]):  # the browser cameras' receivers first: the app is stopping, not switching back
        task.cancel()
    for peer in list(app[PEERS]):
        await peer.close()
    app[PEERS].clear()


