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


def test_every_source_defines_every_member_of_the_source_protocol(tmp_path):
    """The session reads decoder_warnings off any source (no getattr fallback): the protocol declares it and
    every source, camera or not, defines it."""
    import numpy as np
    from media import make_marked_clip
    from runtime.frames import Source
    from runtime.imaging import opencv
    from runtime.sources import BuiltinClip, FolderSource, Looping, VideoSource
    members = set(Source.__annotations__) | {name for name in vars(Source) if not name.startswith("_")}
    assert "decoder_warnings" in members
    (tmp_path / "images").mkdir()
    opencv().imwrite(str(tmp_path / "images" / "a.png"), np.zeros((48, 64, 3), np.uint8))
    make_marked_clip(tmp_path / "clip.mp4", segments=((3, 30),), size=(64, 48), audio=None)
    sources = [BuiltinClip((64, 48), seconds=0.1), FolderSource(tmp_path / "images"),
               VideoSource(str(tmp_path / "clip.mp4")), Looping(lambda: BuiltinClip((64, 48), seconds=0.1))]
    try:
        from runtime.app.camera import BrowserCamera
        sources.append(BrowserCamera((64, 48)))
    except ImportError:  # the [app] extra: its camera is checked where it is installed
        pass
    for source in sources:
        assert [m for m in sorted(members) if not hasattr(source, m)] == [], type(source).__name__
        assert source.decoder_warnings == 0, type(source).__name__  # none of these decodes a camera's MJPG
        source.close()
