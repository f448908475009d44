"""`sharpcam app`'s frame path without a browser: the sink puts before | after into the hub, a viewer's track
sends the newest frame (a slow viewer skips, never queues), and stopping ends both the pipeline and the tracks."""
from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("aiortc", reason="the [app] extra is not installed: pip install -e '.[app]'")
from aiortc.mediastreams import MediaStreamError  # noqa: E402

from runtime.app.stream import FrameHub, HubSink, HubTrack  # noqa: E402

SIZE = (64, 48)  # width, height


def picture(level: int) -> np.ndarray:
    return np.full((SIZE[1], SIZE[0], 3), level, np.uint8)


async def settle() -> None:
    for _ in range(5):  # the sink's frames reach the hub through call_soon_threadsafe, then a task
        await asyncio.sleep(0)


def test_a_viewer_gets_before_and_after_side_by_side_and_the_newest_frame():
    async def main() -> None:
        hub = FrameHub(asyncio.get_running_loop())
        sink, track = HubSink(hub), HubTrack(hub)
        for after in (60, 120, 200):  # three frames before the viewer asks: it gets only the last
            assert sink.write(picture(after), original=picture(30)) is True
        await settle()
        frame = await asyncio.wait_for(track.recv(), 5)
        grey = frame.to_ndarray(format="gray")
        assert grey.shape == (SIZE[1], 2 * SIZE[0])
        before, after = grey[:, :SIZE[0]].mean(), grey[:, SIZE[0]:].mean()
        assert abs(before - 30) <= 2 and abs(after - 200) <= 2, (before, after)
        assert hub.number == 3

        waiting = asyncio.ensure_future(track.recv())  # nothing newer yet: the viewer waits
        await settle()
        assert not waiting.done()
        sink.stop()
        assert sink.write(picture(90), original=picture(30)) is False  # the pipeline's run ends
        await settle()
        second = await asyncio.wait_for(waiting, 5)
        assert second.pts >= frame.pts
        sink.close()
        await settle()
        with pytest.raises(MediaStreamError):
            await asyncio.wait_for(track.recv(), 5)
    asyncio.run(main())


class Kept:
    """The outputs' surface the sink writes to: every frame it was given."""

    def __init__(self) -> None:
        self.frames = 0

    def write(self, frame) -> None:
        self.frames += 1


def test_without_a_viewer_no_frame_is_converted_for_the_page_but_outputs_and_the_still_get_every_one():
    async def main() -> None:
        hub, outputs = FrameHub(asyncio.get_running_loop()), Kept()
        sink = HubSink(hub, outputs)
        sink.write(picture(80), original=picture(10))
        await settle()
        assert sink.converted == 0 and hub.number == 0 and outputs.frames == 1
        still = sink.still()  # before | after, the pixels as the pipeline made them
        assert still.shape == (SIZE[1], 2 * SIZE[0], 3)
        assert (still[:, :SIZE[0]] == 10).all() and (still[:, SIZE[0]:] == 80).all()

        track = HubTrack(hub)  # a page connects
        sink.write(picture(90), original=picture(10))
        await settle()
        assert sink.converted == 1 and hub.number == 1
        track.stop()  # its connection ended (aiortc stops the sender's track)
        track.stop()  # twice is once
        sink.write(picture(100), original=picture(10))
        await settle()
        assert sink.converted == 1 and hub.viewers == 0 and outputs.frames == 3
        assert (sink.still()[:, SIZE[0]:] == 100).all()
    asyncio.run(main())
