"""The page's source picker and outputs (routes; runtime/app/outputs.py does the writing).

    GET  /api/sources    the cameras `sharpcam devices` finds, the videos in --media, the built-in clip
    POST /api/source     {"kind": "camera", "path": P} (one of the listed), {"kind": "file", "name": N}
                         (a video directly in --media) or {"kind": "builtin"}: the session runs on it
    POST /api/record     {"name": "take1.mp4"} starts recording inside --out; {"name": null} stops
    POST /api/snapshot   {"name": "shot.png"}: the model's latest frame, lossless, inside --out
    POST /api/vcam       {"on": true | false}: the virtual camera, as `cam --sink vcam`

The page names files, never paths: runtime/app/paths.py keeps every name inside the folder it belongs to.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from runtime.app.paths import inside, media_files
from runtime.app.request import LIVE, json_body
from runtime.devices import find_devices
from runtime.errors import SharpcamError
from runtime.settings import remember

MEDIA = web.AppKey("media", Path)


def add_picker(app: web.Application, media: Path) -> None:
    app[MEDIA] = media
    app.add_routes([web.get("/api/sources", sources), web.post("/api/source", choose_source),
                    web.post("/api/record", record), web.post("/api/snapshot", snapshot),
                    web.post("/api/vcam", vcam)])


def cameras() -> list[dict]:
    return [{"path": d.path, "name": d.name} for d in find_devices(probe_sizes=False)[0]]


async def in_thread(call, *args):
    """Opening a camera, a file or a backend blocks: off the event loop, errors as 400 with the reason."""
    try:
        return await asyncio.get_running_loop().run_in_executor(None, call, *args)
    except SharpcamError as err:
        raise web.HTTPBadRequest(text=str(err)) from err


async def sources(request: web.Request) -> web.Response:
    return web.json_response({"cameras": await in_thread(cameras), "files": media_files(request.app[MEDIA]),
                              "media": str(request.app[MEDIA])})


async def choose_source(request: web.Request) -> web.Response:
    body = await json_body(request)
    kind = body.get("kind")
    if kind == "builtin":
        spec = "builtin"
    elif kind == "camera":
        spec = body.get("path")
        if spec not in [c["path"] for c in await in_thread(cameras)]:
            raise web.HTTPBadRequest(text=f"{spec!r} is not one of the cameras sharpcam devices finds")
    elif kind == "file":
        name = body.get("name")
        if name not in media_files(request.app[MEDIA]):
            raise web.HTTPBadRequest(text=f"{name!r} is not a video in {request.app[MEDIA]}")
        spec = str(await in_thread(inside, request.app[MEDIA], name))
    else:
        raise web.HTTPBadRequest(text="kind must be camera, file or builtin")
    await in_thread(request.app[LIVE].use, spec)
    await in_thread(lambda: remember(source=spec))  # the next `sharpcam app` starts on it
    return web.json_response({"source": spec})


async def record(request: web.Request) -> web.Response:
    outputs, name = request.app[LIVE].outputs, (await json_body(request)).get("name")
    if name is None:
        stopped = await in_thread(outputs.stop_record)
        return web.json_response({"stopped": None if stopped is None else stopped.name})
    return web.json_response({"recording": (await in_thread(outputs.record, name)).name})


async def snapshot(request: web.Request) -> web.Response:
    name = (await json_body(request)).get("name")
    return web.json_response({"snapshot": (await in_thread(request.app[LIVE].outputs.snapshot, name)).name})


async def vcam(request: web.Request) -> web.Response:
    on = (await json_body(request)).get("on")
    if not isinstance(on, bool):
        raise web.HTTPBadRequest(text="on must be true or false")
    return web.json_response({"vcam": await in_thread(request.app[LIVE].outputs.set_vcam, on)})
