"""The app's HTTP routes: the page, its two static files, the WebRTC signalling, the controls and the stats.
Every route sits behind the guard (runtime/app/guard.py): token, Host and Origin.

    GET  /?token=T          the page (static/index.html, the token written into it)
    GET  /static/NAME       app.js, app.css
    POST /api/offer         the browser's SDP offer -> the answer; the session's video then flows to it
    GET  /api/state         strength, stats (fps, dropped, per-stage p50/p95), backend, source
    POST /api/controls      {"strength": 0..1}, applied by the pipeline before its next frame
"""
from __future__ import annotations

import html
import json
from importlib import resources

from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription

from runtime.app.guard import Guard
from runtime.app.live import LiveSession
from runtime.app.stream import HubTrack

STATIC = resources.files("runtime.app") / "static"
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}  # nothing else is served from disk
GUARD, LIVE, PEERS = web.AppKey("guard", Guard), web.AppKey("live", LiveSession), web.AppKey("peers", set)


def make_app(guard: Guard, live: LiveSession) -> web.Application:
    app = web.Application(middlewares=[guard.middleware], client_max_size=256 * 1024)
    app[GUARD], app[LIVE], app[PEERS] = guard, live, set()
    app.add_routes([web.get("/", page), web.get("/static/{name}", static_file), web.post("/api/offer", offer),
                    web.get("/api/state", state), web.post("/api/controls", controls)])
    app.on_shutdown.append(close_peers)
    return app


async def page(request: web.Request) -> web.Response:
    text = (STATIC / "index.html").read_text(encoding="utf-8")
    token = html.escape(request.app[GUARD].token, quote=True)
    text = text.replace("{{TOKEN}}", token)
    return web.Response(text=text, content_type="text/html",
                        headers={"Content-Security-Policy": "default-src 'self'; media-src 'self' blob:; "
                                                            "frame-ancestors 'none'"})


async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    return web.Response(text=(STATIC / name).read_text(encoding="utf-8"), content_type=STATIC_FILES[name])


async def json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise web.HTTPBadRequest(text=f"expected a JSON body: {err}") from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


async def offer(request: web.Request) -> web.Response:
    """Answer the page's offer with the session's video (one track per viewer, all from the same hub)."""
    body = await json_body(request)
    if body.get("type") != "offer" or not isinstance(body.get("sdp"), str):
        raise web.HTTPBadRequest(text="expected {type: 'offer', sdp: ...}")
    peer = RTCPeerConnection()  # no ICE servers: the page is on this machine (or the network --host names)
    peers = request.app[PEERS]
    peers.add(peer)

    @peer.on("connectionstatechange")
    async def on_state() -> None:
        if peer.connectionState in ("failed", "closed"):
            peers.discard(peer)
            await peer.close()

    await peer.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
    peer.addTrack(HubTrack(request.app[LIVE].hub))
    await peer.setLocalDescription(await peer.createAnswer())
    return web.json_response({"type": peer.localDescription.type, "sdp": peer.localDescription.sdp})


async def state(request: web.Request) -> web.Response:
    return web.json_response(request.app[LIVE].state())


async def controls(request: web.Request) -> web.Response:
    body = await json_body(request)
    strength = body.get("strength")
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0 <= strength <= 1:
        raise web.HTTPBadRequest(text="strength must be a number from 0 to 1")
    return web.json_response({"strength": request.app[LIVE].set_strength(float(strength))})


async def close_peers(app: web.Application) -> None:
    for peer in list(app[PEERS]):
        await peer.close()
    app[PEERS].clear()


