"""`mos prepare`: the benchmark degradation, the models run on the blurred input, categories, safe reruns."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
import skimage
from onnx import TensorProto, helper
from PIL import Image

from benchmarks.mos.__main__ import main
from benchmarks.mos.prepare import PrepareConfig, parse_model, prepare
from benchmarks.mos.study import load_study
from runtime.errors import SharpcamError
from train.blur import benchmark_degrade
from train.metrics import unsharp_baseline

SK = Path(skimage.__file__).parent / "data"


def channel_model(path: Path) -> Path:
    """A float ONNX graph in the shipped student's interface that keeps red, halves green and zeroes blue:
    its output shows both that it got the blurred input and that channels were not swapped."""
    gain = helper.make_tensor("gain", TensorProto.FLOAT, [1, 3, 1, 1], [1.0, 0.5, 0.0])
    graph = helper.make_graph(
        [helper.make_node("Mul", ["image", "gain"], ["sharpened"])], "channels",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info("sharpened", TensorProto.FLOAT, ["n", 3, "h", "w"])], [gain])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def pictures(root: Path) -> Path:
    """cats/chelsea.png, docs/text.png (a subfolder names the category) and a loose coffee.png."""
    for rel, name, box in [("cats/chelsea.png", "chelsea.png", (50, 30, 146, 94)),
                           ("docs/page.png", "page.png", (0, 0, 120, 80)),
                           ("coffee.png", "coffee.png", (100, 100, 900 // 2, 700 // 2))]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.open(SK / name).convert("RGB").crop(box).save(root / rel)
    return root


def test_prepare_degrades_as_the_benchmark_and_runs_the_model_on_the_blurred_input(tmp_path):
    src, out = pictures(tmp_path / "src"), tmp_path / "study"
    cfg = PrepareConfig(src, out, models=[("half", channel_model(tmp_path / "m.onnx"))], unsharp=True,
                        original=True, max_side=200, raters=4, seed=3)
    study = load_study(prepare(cfg))
    assert study.versions == ["blurred", "half", "unsharp", "original"] and len(study.comparisons) == 6
    assert study.images == {"cats-chelsea": "cats", "coffee": "uncategorized", "docs-page": "docs"}
    assert study.raters == ["r01", "r02", "r03", "r04"] and study.seed == 3
    for ident, rel in [("cats-chelsea", "cats/chelsea.png"), ("coffee", "coffee.png"), ("docs-page", "docs/page.png")]:
        sharp = np.asarray(Image.open(src / rel))
        if ident == "coffee":  # 350x250 is shrunk to fit 200: Lanczos, as prepare does
            sharp = np.asarray(Image.fromarray(sharp).resize((200, 143), Image.Resampling.LANCZOS))
        read = {v: np.asarray(Image.open(study.image_path(ident, v))).astype(int) for v in study.versions}
        blurred, params = benchmark_degrade(sharp, ident)
        assert np.array_equal(read["original"], sharp) and np.array_equal(read["blurred"], blurred)
        assert np.array_equal(read["unsharp"], unsharp_baseline(blurred))
        assert np.abs(read["half"][..., 0] - blurred[..., 0]).max() <= 1
        assert np.abs(read["half"][..., 1] - blurred[..., 1] / 2).max() <= 1 and not read["half"][..., 2].any()
        entry = next(e for e in json.loads((out / "study.json").read_text())["images"] if e["id"] == ident)
        assert entry["degradation"] == params
    models = json.loads((out / "study.json").read_text())["prepared"]["models"]
    assert models["half"]["sha256"] and "m.onnx" in models["half"]["backend"]


def test_prepare_takes_categories_and_the_test_split_from_a_manifest(mini_corpus, tmp_path):
    out = tmp_path / "study"
    main(["prepare", str(mini_corpus), "--out", str(out), "--no-model", "--unsharp", "--compare", "blurred",
          "--raters", "2"])
    study = load_study(out)
    assert study.images == {"logo": "graphics", "motorcycle_left": "nature"}  # the mini corpus's test split
    assert study.comparisons == [("blurred", "unsharp")]
    sharp = np.asarray(Image.open(mini_corpus / "images" / "logo.png"))
    assert np.array_equal(np.asarray(Image.open(study.image_path("logo", "blurred"))),
                          benchmark_degrade(sharp, "logo")[0])  # the same pixels train.evaluate scores
    main(["prepare", str(mini_corpus), "--out", str(tmp_path / "all"), "--no-model", "--original",
          "--split", "all", "--limit", "3"])
    assert len(load_study(tmp_path / "all").images) == 3


def test_prepare_refuses_to_overwrite(tmp_path):
    src, out = pictures(tmp_path / "src"), tmp_path / "study"
    cfg = PrepareConfig(src, out, models=[], unsharp=True)
    prepare(cfg)
    with pytest.raises(SharpcamError, match="--force"):
        prepare(cfg)
    cfg.force = True
    prepare(cfg)
    (out / "answers.jsonl").write_text("{}\n")
    with pytest.raises(SharpcamError, match="already holds answers"):
        prepare(cfg)


@pytest.mark.parametrize("spec", ["student", "=x.onnx", "blurred=x.onnx", "a/b=x.onnx", "ok="])
def test_bad_model_specs_are_refused(spec):
    with pytest.raises(SharpcamError, match="LABEL=PATH"):
        parse_model(spec)


def test_prepare_errors_say_what_to_do(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SharpcamError, match="no pictures"):
        prepare(PrepareConfig(tmp_path / "empty", tmp_path / "s", models=[], unsharp=True))
    with pytest.raises(SharpcamError, match="two versions"):
        prepare(PrepareConfig(pictures(tmp_path / "src"), tmp_path / "s", models=[]))
    with pytest.raises(SharpcamError, match="not found"):
        prepare(PrepareConfig(tmp_path / "src", tmp_path / "s", models=[("m", tmp_path / "none.onnx")]))


def test_odd_pictures_are_told_in_a_plain_line_not_a_python_warning(tmp_path, capsys, recwarn):
    src = pictures(tmp_path / "src")
    Image.open(src / "coffee.png").convert("P").save(src / "palette.png")
    (src / "broken.png").write_bytes(b"not an image")
    main(["prepare", str(src), "--out", str(tmp_path / "study"), "--no-model", "--unsharp"])
    err = capsys.readouterr().err
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    assert "UserWarning" not in err and "report.warn()" not in err
    assert "note: converted 1 image(s) to RGB" in err and "note: skipped 1 image(s)" in err and "broken.png" in err
