"""Every command's flags fed bad values (issue 23's battery): out of range, NaN, inf, negative, zero, huge, the
wrong type, empty, or in a combination that cannot work. One table per entry point; each case must end in one
"error: ..." line and exit status 2, in-process (main(argv)) and within a time limit. Most never get past
argparse, so the whole table runs in well under a second a command."""
from __future__ import annotations

import importlib

import pytest

from deadline import deadline
from refusals import refused

WHOLE = [("abc", "whole number"), ("1.5", "whole number"), ("", "whole number"), ("nan", "whole number"),
         ("1e3", "whole number")]
NUMBER = [("nan", "finite"), ("inf", "finite"), ("1e400", "finite"), ("abc", "a number"), ("", "a number")]
POSITIVE = [("0", "above 0"), ("-1", "above 0"), *NUMBER]
NON_NEGATIVE = [("-1", "at least 0"), *NUMBER]
STRENGTH = [(v, "strength must be") for v in ("-0.1", "1.1", "nan", "inf", "abc", "", "1e400")]
THREADS = [("-1", "at least 0"), ("100000", "must be from 0"), *WHOLE]


def at_least(low: int) -> list[tuple[str, str]]:
    return [(str(low - 1), f"at least {low}"), (str(low - 1000), f"at least {low}"), *WHOLE]


def choice(*bad: str) -> list[tuple[str, str]]:
    return [(v, "invalid choice") for v in bad]


def table(module: str, base: list[str], flags: dict[str, list[tuple[str, str]]], after: tuple = ()) -> list:
    """`after`: arguments that must follow the case's (argparse checks them in order, and they would fail first)."""
    return [pytest.param(module, [*base, flag, value, *after], says, id=f"{module}:{flag}={value!r}")
            for flag, cases in flags.items() for value, says in cases]


def combos(module: str, base: list[str], cases: list[tuple[list[str], str]]) -> list:
    return [pytest.param(module, [*base, *argv], says, id=f"{module}:{' '.join(argv) or 'nothing'}")
            for argv, says in cases]


CAM = ["--source", "builtin", "--sink", "null", "--frames", "1", "--quiet"]
CAM_FLAGS = {
    "--frames": at_least(1),
    "--fps": [*POSITIVE, ("1e-300", "from 0.01"), ("0.001", "from 0.01"), ("1001", "to 1000"), ("1e300", "to 1000")],
    "--size": [("0x0", "positive"), ("640x0", "positive"), ("640x-480", "positive"), ("640", "look like"),
               ("640x480x3", "look like"), ("axb", "look like"), ("", "look like"), ("640.5x480", "look like"),
               ("nanxnan", "look like"), ("1e3x480", "look like"), ("x480", "look like"), ("8193x100", "at most"),
               ("100x8193", "at most")],
    "--threads": THREADS,
    "--strength": STRENGTH,
    "--crf": [("-1", "at least 0"), ("64", "from 0 to 63"), *WHOLE],
    "--codec": choice("h265", "", "MP4"),
    "--backend": choice("cuda", "", "TENSORRT"),
    "--load-policy": choice("half", ""),
    "--student": choice("tiny", ""),
    "--source": [("", "--source is empty"), ("   ", "--source is empty")],
    "--sink": [("\t", "--sink is empty")],
}
CAM_COMBOS = [
    (["--overwrite", "--no-overwrite"], "not allowed with"), (["-y", "-n"], "not allowed with"),
    (["--frames"], "expected one argument"), (["--bogus"], "unrecognized arguments"),
    (["extra"], "unrecognized arguments"), (["--fps", "-inf"], "expected one argument"),
]

SHARPEN = ["photo.png", "-o", "never-written"]  # every case is refused before the input is looked at
SHARPEN_FLAGS = {
    "--quality": [("0", "at least 1"), ("101", "from 1 to 100"), ("-5", "at least 1"), *WHOLE],
    "--tile": [(v, "tile must be") for v in ("0", "-1", "8", "33", "abc", "", "99999999", "1.5", "nan")],
    "--threads": THREADS,
    "--strength": STRENGTH,
    "--ext": [(v, "is not one of") for v in ("gif", "xyz", "", "heic")],
    "--suffix": [("/x", "part of a file name"), ("../x", "part of a file name"), ("a/b", "part of a file name"),
                 ("a\\b", "part of a file name"), ("\x00", "part of a file name")],
    "--backend": choice("cuda", ""),
    "--out": [("", "-o/--out is empty"), (" ", "-o/--out is empty"), ("a\x00b", "NUL")],
}
SHARPEN_COMBOS = [
    (["--model", "webcam", "--engine", "webcam"], "not allowed with"),
    (["--student", "fast", "--model", "webcam"], "not allowed with"),
]

EXPORT = ["--onnx-only", "--out", "never-written"]
EXPORT_FLAGS = {
    "--students": [(v, "choose students") for v in ("", "tiny", ",", "webcam,tiny")],
    "--resolutions": [(v, "unknown resolution") for v in ("", "4k", "480", "0x0", "640x480")],
    "--aot": choice("gpu", ""),
    "--aot-batch": at_least(1),
    "--temporal": [("", "three numbers"), ("1", "three numbers"), ("1,2", "three numbers"), ("a,b,c", "three numbers"),
                   ("1,2,3,4", "three numbers"), ("nan,1,2", "HOLD < 1"), ("1,0.1,0.2", "HOLD < 1"),
                   ("0.5,0.3,0.1", "LOW < HIGH"), ("inf,1,2", "HOLD < 1"), ("0.5,-0.1,0.2", "LOW < HIGH")],
    "--out": [("", "--out is empty")],
}
EXPORT_COMBOS = [
    (["--checkpoint", "x.pt"], "go together"), (["--name", "x"], "go together"),
    (["--students", "fast", "--checkpoint", "x.pt", "--name", "x"], "not both"),
    (["--aot", "cpu"], "--onnx-only stops before"), (["--aot", "cuda"], "--onnx-only stops before"),
    (["--aot-batch", "4"], "--onnx-only stops before"),
]

DISTILL = ["--preset", "smoke", "--run-dir", "never-written", "--corpus", "no-corpus"]
DISTILL_FLAGS = {
    "--lr": POSITIVE, "--ssim-weight": NON_NEGATIVE, "--alpha": [("1.5", "from 0 to 1"), *NON_NEGATIVE],
    "--benchmark-share": [("1.5", "from 0 to 1"), *NON_NEGATIVE],
    "--lowlight-share": [("1.5", "from 0 to 1"), *NON_NEGATIVE],
    "--batch": [*at_least(1), ("4097", "from 1 to 4096"), ("100000000", "from 1 to 4096")], "--crop": at_least(1), "--variants": at_least(1), "--patience": at_least(0),
    "--epochs": at_least(1), "--steps-per-epoch": at_least(1), "--threads": THREADS,
    "--preset": choice("huge", ""), "--arch": choice("rrdb", ""),
    "--arch-args": [("", "not JSON"), ("null", "JSON object"), ("1", "JSON object"), ('"x"', "JSON object"),
                    ("[]", "JSON object")],
    "--corpus": [("", "--corpus is empty")], "--run-dir": [("", "--run-dir is empty")],
}

CORPUS = ["--out", "never-written", "--no-debian", "--text-pages", "0"]
CORPUS_FLAGS = {
    "--text-pages": at_least(0),
    "--extra": [(":text", "names no folder"), ("", "names no folder"), ("x:cars", "category must be"),
                ("no-such-folder", "not a folder"), ("no-such-folder:text", "not a folder")],
    "--out": [("", "--out is empty")],
}

EVALUATE = ["--no-teacher", "--corpus", "no-corpus", "--out", "never-written/q"]
EVALUATE_FLAGS = {
    "--model": [("=", "names no checkpoint"), ("label=", "names no checkpoint"), ("=x.pt", "empty LABEL"),
                ("", "names no checkpoint")],
    "--split": choice("dev", "", "TEST"), "--teacher-mode": choice("down3", "", "full"),
    "--out": [("", "--out is empty")], "--corpus": [("", "--corpus is empty")],
}

MOS_PREPARE = ["prepare", "no-corpus", "--out", "never-written", "--no-model"]
MOS_PREPARE_FLAGS = {
    "--limit": at_least(0), "--max-side": at_least(0),
    "--raters": [*at_least(1), ("1000", "from 1 to 999")],
    "--seed": [("abc", "invalid int"), ("1.5", "invalid int"), ("", "invalid int")],
    "--compare": choice("some", ""),
    "--model": [("x", "LABEL=PATH"), ("=x.onnx", "LABEL=PATH"), ("blurred=x.onnx", "LABEL=PATH"),
                ("a b=x.onnx", "LABEL=PATH")],
    "--out": [("", "--out is empty")],
}
MOS_COMBOS = [([], "required"), (["rate"], "invalid choice"), (["serve"], "required"), (["report"], "required"),
              (["prepare", "x"], "required: --out"), (["serve", "s", "--port", "65536"], "from 0 to 65535"),
              (["serve", "s", "--port", "1.5"], "whole number"), (["serve", "s", "--port", ""], "whole number"),
              (["report", "s", "--out", ""], "--out is empty")]

STREAMS = ("--engine", "no-such.pt2")  # after the case: argparse checks the engine's name when it meets it
STREAMS_FLAGS = {
    "--fps": POSITIVE, "--seconds": POSITIVE, "--max-latency-ms": POSITIVE,
    "--max-streams": at_least(1), "--max-concurrent": at_least(1),
    "--out": [("", "--out is empty")],
}

APP = ["--source", "builtin", "--no-browser"]
APP_FLAGS = {
    "--port": [("-1", "at least 0"), ("65536", "from 0 to 65535"), *WHOLE],
    "--threads": THREADS, "--strength": STRENGTH,
    "--backend": choice("cuda"), "--load-policy": choice("x"), "--student": choice("tiny"),
    "--host": [("", "--host is empty"), (" ", "--host is empty")],
    "--source": [("", "--source is empty")],
}

FPS = ["--quick", "--out", "never-written"]
FPS_FLAGS = {
    "--warmup": at_least(0), "--repeats": at_least(1), "--frames": at_least(1), "--paced-frames": at_least(0),
    "--timeout": POSITIVE,
    "--backends": [("", "ort-cpu"), ("trt,x", "ort-cpu"), ("cuda", "ort-cpu")],
    "--resolutions": [("", "480p"), ("4k", "480p")], "--students": [("", "webcam"), ("tiny", "webcam")],
    "--out": [("", "--out is empty")], "--json": [("", "--json is empty")],
}

CASES = [
    *table("runtime.cam", CAM, CAM_FLAGS), *combos("runtime.cam", CAM, CAM_COMBOS),
    *table("runtime.sharpen", SHARPEN, SHARPEN_FLAGS), *combos("runtime.sharpen", SHARPEN, SHARPEN_COMBOS),
    *combos("runtime.sharpen", [], [([], "required"), (["photo.png"], "required: -o"),
                                    (["-o", "out"], "required: inputs"), (["", "-o", "out"], "an input is empty")]),
    *combos("runtime.devices", [], [(["--bogus"], "unrecognized"), (["extra"], "unrecognized")]),
    *table("export.__main__", EXPORT, EXPORT_FLAGS), *combos("export.__main__", EXPORT, EXPORT_COMBOS),
    *combos("export.__main__", ["--out", "never-written"], [(["--aot", "no", "--aot-batch", "2"], "--aot no skips")]),
    *table("train.distill_cli", DISTILL, DISTILL_FLAGS),
    *table("train.corpus", CORPUS, CORPUS_FLAGS),
    *table("train.evaluate", EVALUATE, EVALUATE_FLAGS),
    *table("benchmarks.mos.__main__", MOS_PREPARE, MOS_PREPARE_FLAGS),
    *combos("benchmarks.mos.__main__", [], MOS_COMBOS),
    *table("benchmarks.gpu.streams", [], STREAMS_FLAGS, after=STREAMS),
    *combos("benchmarks.gpu.streams", [], [([], "required: --engine")]),
    # checked after parsing, so with an engine that exists (never opened: the refusal comes first)
    *table("benchmarks.gpu.streams", ["--engine", __file__], {"--modes": [("", "--modes takes"), ("serial", "--modes takes"),
                                                                    ("batched,x", "--modes takes"),
                                                                    ("batched", "needs --batched")]}),
    *table("benchmarks.gpu.streams", ["--engine", __file__, "--modes", "concurrent"], {
        "--streams": [("", "whole numbers"), ("a", "whole numbers"), ("1.5", "whole numbers"), ("1,,2", "whole numbers"),
                      ("0", "at least 1"), ("1,0", "at least 1")]}),
    *table("runtime.app.cli", APP, APP_FLAGS),
    *table("benchmarks.speed.fps", FPS, FPS_FLAGS),
    *combos("runtime.cli", [], [(["frobnicate"], "invalid choice"), (["--bogus"], "")]),
]


@pytest.mark.parametrize("module, argv, says", CASES)
@deadline(20)
def test_a_bad_flag_is_one_line_and_exit_status_2(module, argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # any relative path a case names would land here, and nothing may
    main = importlib.import_module(module).main
    line = refused(main, argv, capsys)
    assert says in line, line
    assert not any(tmp_path.iterdir()), sorted(p.name for p in tmp_path.iterdir())  # refused before writing
