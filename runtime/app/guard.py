"""Who may talk to the app's server: a local web server is an attack surface, so every request must carry the
token printed with the URL, name this server in its Host (DNS rebinding), and come from this server's own page
when it says where it comes from (Origin: another site's page in the same browser).

The token travels as ?token= in the page's URL (what the user opens) and as the X-Sharpcam-Token header in the
page's own requests (the signalling, the controls, the stats); a request without it gets 403, whatever its path.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

from aiohttp import web

TOKEN_PARAM = "token"
TOKEN_HEADER = "X-Sharpcam-Token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits: not guessable by a page probing the port


def is_wildcard(host: str) -> bool:
    """0.0.0.0 or ::: every interface, so the names the server is reached by are not known in advance."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


@dataclass
class Guard:
    token: str
    bind: str = "127.0.0.1"  # the address the server listens on (--host)
    port: int = 0  # filled in once the server listens (port 0: any free one)
    extra_hosts: tuple[str, ...] = field(default_factory=tuple)

    def allowed_hosts(self) -> set[str]:
        """host:port values a request's Host may carry: loopback names, and the --host address."""
        names = {*LOOPBACK_NAMES, *self.extra_hosts}
        if not is_wildcard(self.bind):
            names.add(f"[{self.bind}]" if ":" in self.bind else self.bind)
        return {f"{name}:{self.port}" for name in names}

    def host_ok(self, host: str | None) -> bool:
        """A wildcard bind is reached by names unknown here: the token alone guards it (the warning says so)."""
        return is_wildcard(self.bind) or (host or "").lower() in self.allowed_hosts()

    def origin_ok(self, origin: str | None, host: str | None) -> bool:
        """No Origin (a top-level navigation, a plain client), or exactly this server as the page reached it."""
        return origin is None or (self.host_ok(host) and origin.lower() == f"http://{(host or '').lower()}")

    def token_ok(self, request: web.Request) -> bool:
        given = request.headers.get(TOKEN_HEADER) or request.query.get(TOKEN_PARAM) or ""
        return hmac.compare_digest(given.encode(), self.token.encode())

    def refusal(self, request: web.Request) -> str | None:
        """Why this request is refused, or None to serve it."""
        host = request.headers.get("Host")
        if not self.host_ok(host):
            return f"Host {host!r} is not this server (open the URL sharpcam app printed)"
        if not self.origin_ok(request.headers.get("Origin"), host):
            return "requests from other sites' pages are refused"
        if not self.token_ok(request):
            return "a valid token is required: open the URL sharpcam app printed, token included"
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler):
        why = self.refusal(request)
        if why is not None:
            raise web.HTTPForbidden(text=f"403 forbidden: {why}\n")
        response = await handler(request)
        # the token is in the URL: never hand it to another site in a Referer; no framing by other pages
        response.headers.update({"Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
                                 "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"})
        return response
