"""`--clean-source auto`: the router's signals on made pictures, its hold on a stream, and the routed backend
(which student runs, strength to both, resets, counts, closing)."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from runtime.backends.routed import RoutedBackend
from runtime.route import RouteConfig, Router, is_clean, measure
from tests.pass_through import PassThrough


def soft_picture(seed: int = 0) -> np.ndarray:
    """Shapes and a gradient, blurred as the report's benchmark blurs: clean and soft."""
    rng = np.random.default_rng(seed)
    img = np.tile(np.linspace(40, 200, 320, dtype=np.float32), (240, 1))
    img = np.repeat(img[..., None], 3, axis=2)
    for _ in range(12):
        x, y = rng.integers(0, 300), rng.integers(0, 220)
        colour = [float(v) for v in rng.integers(0, 255, 3)]
        cv2.rectangle(img, (int(x), int(y)), (int(x) + 30, int(y) + 20), colour, -1)
    return np.clip(cv2.GaussianBlur(img, (7, 7), 1.8), 0, 255).round().astype(np.uint8)


def noisy(img: np.ndarray, sigma: float = 3.0) -> np.ndarray:
    noise = np.random.default_rng(1).normal(0, sigma, img.shape)
    return np.clip(img + noise, 0, 255).round().astype(np.uint8)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def test_a_soft_clean_picture_is_clean_and_noise_or_blocks_are_not() -> None:
    soft = soft_picture()
    assert is_clean(soft), measure(soft)
    assert not is_clean(noisy(soft)), measure(noisy(soft))
    blocky = jpeg(soft, 20)
    signal = measure(blocky)
    assert not is_clean(blocky), signal
    assert signal.blockiness > measure(soft).blockiness


def test_the_signals_measure_what_they_name() -> None:
    flat = np.full((64, 64, 3), 128, np.uint8)
    assert measure(flat).noise == 0.0 and measure(flat).blockiness == 1.0
    grey = np.full((200, 200), 128.0, np.float32)
    sigma = 4.0
    estimate = measure(noisy(grey, sigma)).noise
    assert estimate == pytest.approx(sigma, rel=0.1)  # Immerkaer's estimate of white noise's sigma


def test_the_router_holds_until_clean_frames_agree_and_leaves_at_the_first_noisy_one() -> None:
    soft, loud = soft_picture(), noisy(soft_picture())
    router = Router(RouteConfig(every=1, agree=3))
    assert [router.clean_now(soft) for _ in range(4)] == [False, False, True, True]
    assert router.clean_now(loud) is False
    assert [router.clean_now(soft) for _ in range(3)] == [False, False, True]
    assert router.state()["clean"] is True and router.state()["noise"] is not None


def test_the_router_measures_every_nth_frame_only() -> None:
    router = Router(RouteConfig(every=10, agree=1))
    measured = []
    for _ in range(25):
        router.clean_now(soft_picture())
        measured.append(router.measured)
    assert [i for i, m in enumerate(measured) if m] == [0, 10, 20]


class Marked(PassThrough):
    """A pass-through that marks its output, so a test can see which student ran a frame."""

    def __init__(self, mark: int) -> None:
        super().__init__()
        self.mark, self.closed = mark, False

    def collect(self, handle: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
        out = handle.copy()
        out[0, 0, 0] = self.mark
        return out, {"infer": 0.001}

    def close(self) -> None:
        self.closed = True


def test_the_routed_backend_runs_the_clean_student_on_a_clean_stream_only() -> None:
    camera, clean = Marked(1), Marked(2)
    routed = RoutedBackend(camera, clean, Router(RouteConfig(every=1, agree=2)))
    soft, loud = soft_picture(), noisy(soft_picture())
    marks = [int(routed.collect(routed.submit(f))[0][0, 0, 0]) for f in (soft, soft, soft, loud, soft)]
    assert marks == [1, 2, 2, 1, 1]
    assert routed.frames == {"camera": 3, "clean": 2}
    assert routed.state()["running"] == "camera"
    # the student taking over starts from a reset state: the clean one before its first frame, the camera
    # one after its first (it ran frame 1, then took frame 4 back)
    assert clean.resets == [0] and camera.resets == [1]


def test_routes_false_keeps_the_camera_student() -> None:
    camera, clean = Marked(1), Marked(2)
    routed = RoutedBackend(camera, clean, Router(RouteConfig(every=1, agree=1)), routes=lambda: False)
    for _ in range(3):
        routed.collect(routed.submit(soft_picture()))
    assert clean.frames == 0 and camera.frames == 3


def test_strength_reaches_both_and_reset_and_close_both() -> None:
    camera, clean = Marked(1), Marked(2)
    routed = RoutedBackend(camera, clean)
    routed.strength = 0.4
    assert camera.strength == clean.strength == 0.4 and routed.strength == 0.4
    routed.reset()
    assert camera.resets == [0] and clean.resets == [0]
    routed.close()
    assert camera.closed and clean.closed


def test_the_route_time_is_reported_only_when_measured() -> None:
    routed = RoutedBackend(Marked(1), Marked(2), Router(RouteConfig(every=2)))
    timings = [routed.collect(routed.submit(soft_picture()))[1] for _ in range(3)]
    assert ["route" in t for t in timings] == [True, False, True]


def test_a_clean_student_of_another_fixed_size_is_refused() -> None:
    with pytest.raises(ValueError, match="clean student runs at"):
        RoutedBackend(PassThrough(size=(640, 480)), PassThrough(size=(1280, 720)))


# the session's wiring (runtime/session.py with_clean_route) -----------------------------------------------
def choice_of(*names: str):
    from runtime.backends.family import Member, StudentChoice
    return StudentChoice([Member(name, Marked(i), "a fake") for i, name in enumerate(names)])


def opener_giving(backend=None, error: str | None = None):
    from runtime.errors import SharpcamError
    asked = []

    def opener(req):
        asked.append(req)
        if error:
            raise SharpcamError(error)
        return backend or Marked(9), "a fake"
    opener.asked = asked
    return opener


def route_config(**kw):
    from runtime.session import SessionConfig
    return SessionConfig("builtin", **kw)


def test_the_session_routes_a_camera_student_the_clean_one_beats() -> None:
    from runtime.artifacts import CLEAN_STUDENT
    from runtime.backends.factory import Request
    from runtime.session import with_clean_route
    student, opener, lines = choice_of("webcam"), opener_giving(), []
    request = Request((640, 480), student="auto")
    routed = with_clean_route(student.chosen.backend, route_config(), student, request, lines.append, opener=opener)
    assert isinstance(routed, RoutedBackend) and routed.camera is student.chosen.backend
    assert opener.asked[0].student == CLEAN_STUDENT and opener.asked[0].size == (640, 480)
    assert any("clean source: auto" in line for line in lines)


@pytest.mark.parametrize("case", ["off", "engine", "large", "in flight"])
def test_the_session_leaves_the_backend_alone_where_routing_cannot_help(case: str, tmp_path) -> None:
    from runtime.backends.factory import Request
    from runtime.session import with_clean_route
    student = choice_of("large" if case == "large" else "webcam")
    backend = student.chosen.backend
    if case == "in flight":
        backend.in_flight = 2  # a double-buffered GPU engine keeps its overlap
    request = Request(None, engine=tmp_path / "x.plan" if case == "engine" else None)
    cfg = route_config(clean_source="off" if case == "off" else "auto", backend=request)
    opener = opener_giving()
    assert with_clean_route(backend, cfg, student, request, None, opener=opener) is backend
    assert opener.asked == []


def test_a_clean_student_that_does_not_open_leaves_a_note_not_an_error() -> None:
    from runtime.backends.factory import Request
    from runtime.session import with_clean_route
    student, lines = choice_of("recurrent"), []
    backend = student.chosen.backend
    out = with_clean_route(backend, route_config(), student, Request(None), lines.append,
                           opener=opener_giving(error="no graphs for fast"))
    assert out is backend and "no graphs for fast" in lines[0]


def test_turning_the_temporal_filter_off_resets_both_students_only() -> None:
    from runtime.backends.adaptive import AdaptiveBackend
    from runtime.pipeline import reset_temporal
    camera, clean = Marked(1), Marked(2)
    policy = AdaptiveBackend(camera, "skip", 30.0)
    policy._last_out = np.zeros((2, 2, 3), np.uint8)  # the frame skip shows again must survive
    reset_temporal(RoutedBackend(policy, clean))
    assert camera.resets == [0] and clean.resets == [0] and policy._last_out is not None


def test_under_the_ladder_routing_follows_the_student_running_now() -> None:
    from runtime.backends.adaptive import AdaptiveBackend, LadderStudent
    from runtime.backends.factory import Request
    from runtime.backends.family import Member, StudentChoice
    from runtime.session import with_clean_route
    medium, large = Marked(1), Marked(2)
    student = StudentChoice([Member("medium", medium, "a fake"), Member("large", large, "a fake")], auto=True)
    ladder = AdaptiveBackend(medium, "auto", 30.0, realtime=False,
                             students=[LadderStudent("medium", medium, 0.01), LadderStudent("large", large, 0.05)])
    routed = with_clean_route(ladder, route_config(), student, Request(None), None, opener=opener_giving())
    assert ladder.student == "large" and routed.routes() is False  # L keeps clean frames
    ladder._set_rung(ladder._ladder[-1])  # the ladder stepped down to M
    assert ladder.student == "medium" and routed.routes() is True


# still pictures (`sharpcam sharpen`) ----------------------------------------------------------------------
def test_a_clean_picture_is_sharpened_by_the_clean_student_and_a_noisy_one_is_not() -> None:
    from runtime.sharpen import ImageSharpener
    sharpener = ImageSharpener(student="webcam", backend="onnxruntime")
    soft, loud = soft_picture(), noisy(soft_picture())
    by_fast = ImageSharpener(student="fast", backend="onnxruntime").sharpen(soft)
    assert np.array_equal(sharpener.sharpen(soft), by_fast) and sharpener.pictures.count == 1
    by_webcam = ImageSharpener(student="webcam", backend="onnxruntime", clean_source="off")
    assert np.array_equal(sharpener.sharpen(loud), by_webcam.sharpen(loud)) and sharpener.pictures.count == 1
    assert not np.array_equal(by_webcam.sharpen(soft), by_fast) and by_webcam.pictures.count == 0


def test_a_clean_student_that_does_not_open_leaves_pictures_with_the_one_asked_for(capsys) -> None:
    from runtime.backends.routed import CleanPictures
    from runtime.errors import SharpcamError

    def fails():
        raise SharpcamError("no graphs for fast")
    asked = Marked(1)
    pictures = CleanPictures(asked, fails, routes=True)
    assert pictures.backend_for(soft_picture()) is asked and pictures.routes is False
    assert "no graphs for fast" in capsys.readouterr().err


# end to end through `sharpcam cam` --------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["auto", "off"])
def test_cam_reports_the_route_in_stats(mode: str, tmp_path) -> None:
    import json

    from runtime.cam import cli, parse_args
    stats = tmp_path / "stats.json"
    cli(parse_args(["--source", "builtin", "--sink", "null", "--frames", "4", "--student", "webcam",
                    "--clean-source", mode, "--stats", str(stats)]))
    route = json.loads(stats.read_text())["clean_source"]
    if mode == "off":
        assert route == {"mode": "off"}
    else:  # the built-in clip is a webcam's: noisy, so the camera student ran every frame
        assert route["frames"] == {"camera": 4, "clean": 0} and route["clean"] is False
        assert route["noise"] > RouteConfig().noise_max


def test_the_load_policy_is_still_reported_under_the_route(tmp_path) -> None:
    import json

    from runtime.cam import cli, parse_args
    stats = tmp_path / "stats.json"
    cli(parse_args(["--source", "builtin", "--sink", "null", "--frames", "3", "--student", "webcam",
                    "--load-policy", "skip", "--stats", str(stats)]))
    summary = json.loads(stats.read_text())
    assert summary["load_policy"].startswith("skip") and "frames" in summary["clean_source"]


def test_the_session_closes_the_clean_student_it_opened() -> None:
    from runtime.backends.factory import Request
    from runtime.session import SessionConfig, open_session
    cfg = SessionConfig("builtin", backend=Request(None, student="webcam", backend="onnxruntime"), frames=2, quiet=True)
    with open_session(cfg, log=None) as session:
        routed = session.backend
        assert isinstance(routed, RoutedBackend)
        # each under the load policy's wrapper where it has one (a fixed-size graph runs as it is)
        clean, camera = (getattr(b, "inner", b) for b in (routed.clean, routed.camera))
        assert clean._session is not None and "fast" in clean.name
        session.run()
    assert clean._session is None and camera._session is None


def test_the_clean_student_runs_under_a_load_policy_of_its_own() -> None:
    from runtime.backends.adaptive import AdaptiveBackend
    from runtime.backends.factory import Request
    from runtime.session import SessionConfig, open_session
    cfg = SessionConfig("builtin", backend=Request(None, student="webcam", backend="onnxruntime"),
                        load_policy="scale50", frames=2, quiet=True)
    with open_session(cfg, log=None) as session:
        routed = session.backend
        assert isinstance(routed.clean, AdaptiveBackend) and routed.clean.label == "scale50"
        assert routed.clean.inner is not routed.camera.inner


def test_a_large_picture_is_measured_on_tiles_that_agree_with_the_whole() -> None:
    import skimage.data
    from runtime.route import TILE, tiles
    photo = cv2.resize(cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR), (1280, 960),
                       interpolation=cv2.INTER_CUBIC)  # soft, as a downscaled-then-enlarged photo is
    budget = 600_000  # pixels: this 1.2 MP picture goes to tiles, as a 24 MP photo does under the default
    parts = tiles(photo, budget)
    assert len(parts) == 9 and sum(p.shape[0] * p.shape[1] for p in parts) <= budget
    assert all(p.shape[:2] == (TILE, TILE) for p in parts)
    small = soft_picture()  # 320x240: within the budget, measured whole
    assert len(tiles(small, budget)) == 1 and tiles(small, budget)[0] is small
    cfg = RouteConfig()
    for picture in (photo, noisy(photo, 2.0), jpeg(photo, 25)):
        whole, sampled = measure(picture, max_pixels=10**9), measure(picture, max_pixels=budget)
        assert sampled.noise == pytest.approx(whole.noise, rel=0.2), (whole, sampled)
        assert cfg.clean(sampled) == cfg.clean(whole), (whole, sampled)
    # the codec's grid stays in phase on the tiles: a blocky picture still measures blocky
    assert measure(jpeg(photo, 25), max_pixels=budget).blockiness > 1.2
    assert measure(photo, max_pixels=budget).blockiness < cfg.blockiness_max
