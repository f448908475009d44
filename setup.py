"""Copies the shipped students' ONNX graphs (runtime/artifacts.py: is_packaged) from engines/ into the wheel's
runtime/graphs/ at build time.

engines/ stays the graphs' one home in the checkout (export writes there, tests read there); the wheel gets
a copy so that an installed sharpcam finds its model by name from any folder (runtime/artifacts.py). Everything
else about the package is in pyproject.toml.
"""
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from runtime.artifacts import CHECKOUT_ENGINES, PACKAGED, is_packaged  # noqa: E402  (pure standard library)


class BuildPyWithGraphs(build_py):
    def run(self) -> None:
        super().run()
        graphs = sorted(p for p in CHECKOUT_ENGINES.glob("*.onnx") if is_packaged(p.name))
        if not graphs:
            raise SystemExit(f"no packaged graphs in {CHECKOUT_ENGINES}; run 'make engines' before building")
        target = Path(self.build_lib) / PACKAGED.relative_to(ROOT)
        target.mkdir(parents=True, exist_ok=True)
        for graph in graphs:
            shutil.copy2(graph, target / graph.name)


setup(cmdclass={"build_py": BuildPyWithGraphs})
