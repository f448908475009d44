"""What every route of the app's server shares: the running session's key on the app, and the JSON body."""
from __future__ import annotations

import json

from aiohttp import web

from runtime.app.live import LiveSession

LIVE = web.AppKey("live", LiveSession)


async def json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise web.HTTPBadRequest(text=f"expected a JSON body: {err}") from err
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body
