"""`sharpcam app`: the local control page (cli.py: the command; live.py: the session on its thread;
stream.py: sink -> hub -> WebRTC track; guard.py: token, Host and Origin; server.py: the routes; static/: the
page, plain HTML/JS without a build step). Needs the [app] extra (aiohttp, aiortc)."""
