"""The session builder: a sink the caller brings (the app's page) is used as it is and stays the caller's."""
from __future__ import annotations

from runtime.backends.factory import Request
from runtime.session import SessionConfig, open_session
from runtime.sinks.base import Sink


class Keeper(Sink):
    def __init__(self) -> None:
        self.frames, self.closed = 0, False

    def write(self, frame, original=None, status="", name=None) -> bool:
        self.frames += 1
        return True

    def close(self) -> None:
        self.closed = True


def test_a_callers_sink_gets_the_frames_and_is_not_closed_with_the_session():
    keeper = Keeper()
    cfg = SessionConfig("builtin", "window", Request(student="webcam", backend="onnxruntime", threads=1),
                        frames=5, quiet=True, load_policy=None)  # "window" would need a display: not opened
    with open_session(cfg, log=None, sink=keeper) as session:
        assert session.sink is keeper
        session.run()
    assert keeper.frames == 5 and not keeper.closed
