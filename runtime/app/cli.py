"""`sharpcam app`: a local page with the live picture over WebRTC, a before/after split, a strength slider and
the pipeline's stats.

    sharpcam app                         # camera 0 if present, else the built-in clip; opens the browser
    sharpcam app --source talk.mp4       # a file, looped at its frame rate
    sharpcam app --no-browser --port 8765
    sharpcam app --host 0.0.0.0          # reachable from the network: anyone with the URL sees the camera

The server listens on 127.0.0.1 unless --host says otherwise, and prints a URL with a random token; the page
and every request it makes need that token. Needs the [app] extra: pip install 'sharpcam[app]'.
"""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import webbrowser
from dataclasses import replace
from pathlib import Path

from runtime.artifacts import AUTO_STUDENT, STUDENTS, model_arg
from runtime.backends.adaptive import POLICIES
from runtime.backends.base import strength_arg
from runtime.backends.factory import BACKENDS, Request
from runtime.contract import DEFAULT_STRENGTH
from runtime.entry import exit_on_user_error, non_empty, port, threads
from runtime.errors import SharpcamError
from runtime.low_light import DEFAULT_MODE as DEFAULT_LOW_LIGHT, MODES as LOW_LIGHT_MODES
from runtime.optional import require
from runtime.session import to_stderr
from runtime.settings import ON_OFF, given_or_remembered, load_settings, on_off, remember

APP_EXTRA = "'sharpcam app' needs aiohttp and aiortc: pip install 'sharpcam[app]'"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", type=non_empty("--source"),
                   help="camera index or /dev/videoN, video file, image folder, or 'builtin' (default: the one the "
                        "page picked last time, else camera 0 if present, else the built-in clip)")
    p.add_argument("--student", choices=(AUTO_STUDENT, *STUDENTS), default=AUTO_STUDENT,
                   help="which shipped student (as for 'sharpcam cam') (default: %(default)s)")
    p.add_argument("--model", type=model_arg, help="ONNX graph for ONNX Runtime: a path or a name")
    p.add_argument("--engine", type=model_arg, help="a compiled GPU engine (.plan or .pt2): a path or a name")
    p.add_argument("--backend", choices=BACKENDS, default="auto", help="inference engine (default: %(default)s)")
    p.add_argument("--threads", type=threads, default=0, help="CPU inference threads; 0: the backend's choice")
    p.add_argument("--load-policy", choices=POLICIES, default="auto",
                   help="when the model is slower than the source (as for 'sharpcam cam') (default: %(default)s)")
    p.add_argument("--low-light", choices=LOW_LIGHT_MODES, default=None,
                   help="brighten underexposed frames first (as for 'sharpcam cam'); the page's toggle changes "
                        f"it (default: the last one, else {DEFAULT_LOW_LIGHT})")
    p.add_argument("--temporal", choices=ON_OFF, default=None,
                   help="the model's temporal filter (as for 'sharpcam cam'); the page's toggle changes it "
                        "(default: the last one, else on)")
    p.add_argument("--strength", type=strength_arg, default=None,
                   help="starting strength, 0 (off) to 1 (full); the page's slider changes it (default: the last "
                        f"one, else {DEFAULT_STRENGTH})")
    p.add_argument("--host", type=non_empty("--host"), default="127.0.0.1",
                   help="address to listen on; anything but loopback exposes the camera to the network "
                        "(default: %(default)s)")
    p.add_argument("--port", type=port, default=0, help="port to listen on; 0: any free one (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None,
                   help="the folder the page's recordings and snapshots go to; the page names files only inside "
                        "it (default: the last one given, else the current folder)")
    p.add_argument("--media", type=Path, default=Path("."),
                   help="the folder whose videos the page's source picker offers (default: the current folder)")
    p.add_argument("--no-browser", action="store_true", help="print the URL without opening a browser")
    return with_remembered(p.parse_args(argv))


def with_remembered(args: argparse.Namespace) -> argparse.Namespace:
    """What the command line leaves out comes from the settings file (runtime/settings.py); an --out given is
    remembered for next time. `remembered_source`: the source is last time's, so failing to open it is not
    the user's error now (the default source runs instead)."""
    remembered = load_settings()
    args.remembered_source = args.source is None and remembered.source is not None
    args.source = args.source or remembered.source
    args.strength = given_or_remembered(args.strength, "strength", DEFAULT_STRENGTH)
    args.low_light = given_or_remembered(args.low_light, "low_light", DEFAULT_LOW_LIGHT)
    args.temporal = given_or_remembered(on_off(args.temporal), "temporal", True)
    if args.out is not None:
        remember(out=str(args.out.resolve()))
    args.out = args.out or Path(remembered.out or ".")
    return args


def live_config(args: argparse.Namespace):
    from runtime.app.live import LiveConfig
    request = Request(student=args.student, threads=args.threads, strength=args.strength, backend=args.backend,
                      engine=args.engine, model=args.model)
    return LiveConfig(args.source, request, args.load_policy, args.low_light, args.temporal)


def exposure_warning(host: str) -> str | None:
    """The line printed when --host reaches beyond this machine."""
    if host in ("127.0.0.1", "localhost", "::1"):
        return None
    return (f"warning: listening on {host}: anyone on the network who has the URL (its token) can watch this "
            "camera and change its settings; use only on a network you trust")


async def stopped_by_signal() -> None:
    """Until Ctrl-C (asyncio.run turns it into KeyboardInterrupt here), SIGTERM or SIGHUP (a service manager,
    a closed terminal): each ends the server the same way, the session closed in order (as runtime.cam does)."""
    stop, loop = asyncio.Event(), asyncio.get_running_loop()
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):  # Windows has neither; Ctrl-C still works there
            loop.add_signal_handler(getattr(signal, name), stop.set)
    await stop.wait()
    print("stopped", file=sys.stderr, flush=True)


async def serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from runtime.app.guard import Guard, is_wildcard, new_token
    from runtime.app.live import LiveSession
    from runtime.app.server import make_app
    from runtime.app.stream import FrameHub, allow_high_bitrate

    allow_high_bitrate(local=exposure_warning(args.host) is None)
    from runtime.app.outputs import Outputs
    live = LiveSession(live_config(args), FrameHub(asyncio.get_running_loop()), to_stderr, Outputs(args.out.resolve()))
    # Off the main thread: OpenVINO's CPU plugin gives the thread that first loads it an alternate signal stack
    # and frees it with the plugin; once the page switches sources (the plugin unloaded), a SIGTERM delivered on
    # that thread would crash the process instead of stopping it. Signals go to the main thread, so keep it clean.
    try:
        await asyncio.get_running_loop().run_in_executor(None, live.start)
    except SharpcamError as err:
        if not args.remembered_source:
            raise
        print(f"note: last time's source {args.source} did not open ({err}); using the default", file=sys.stderr)
        live.cfg = replace(live.cfg, source=None)
        await asyncio.get_running_loop().run_in_executor(None, live.start)
    guard = Guard(new_token(), bind=args.host)
    runner = web.AppRunner(make_app(guard, live, args.media), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port)
        try:
            await site.start()
        except OSError as err:  # an unknown host name, an address not on this machine, a port in use
            raise SharpcamError(f"cannot listen on {args.host} port {args.port}: {err.strerror or err}; "
                                "check --host and --port") from err
        guard.port = runner.addresses[0][1]
        shown = "127.0.0.1" if is_wildcard(args.host) else f"[{args.host}]" if ":" in args.host else args.host
        url = f"http://{shown}:{guard.port}/?token={guard.token}"
        warning = exposure_warning(args.host)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        print(f"sharpcam app: {url}  (Ctrl-C to stop)", flush=True)
        if not args.no_browser:
            webbrowser.open(url)
        await stopped_by_signal()
    finally:
        await runner.cleanup()
        live.stop()


def run(args: argparse.Namespace) -> None:
    require("aiohttp", APP_EXTRA)
    require("aiortc", APP_EXTRA)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    exit_on_user_error(lambda: run(args))


if __name__ == "__main__":
    main()
