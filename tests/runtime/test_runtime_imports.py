"""The runtime stays lean and one-directional: no torch, no import cycle between its modules."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_graphs import export_tiny_graphs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    return export_tiny_graphs(tmp_path_factory.mktemp("graphs"))


def test_runtime_never_imports_torch(graphs):
    code = (
        "import sys, numpy as np\n"
        "import runtime.cam, runtime.sharpen, runtime.pipeline, runtime.session, runtime.backends.tensorrt\n"
        "from runtime.backends.onnxruntime import OnnxBackend\n"
        f"b = OnnxBackend(r'{graphs['480p']}')\n"
        "out, t = b.collect(b.submit(np.zeros((480, 640, 3), np.uint8)))\n"
        "assert out.shape == (480, 640, 3)\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def runtime_imports() -> dict[str, set[str]]:
    """Each runtime module -> the runtime modules it imports (by `from runtime.x import y` or `import`)."""
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
               for p in (ROOT / "runtime").rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        edges[name] = {m for m in found if m in modules and m != name}
    return edges


def test_runtime_has_no_import_cycle():
    edges, done, path = runtime_imports(), set(), []

    def visit(module: str) -> None:
        assert module not in path, "import cycle: " + " -> ".join(path[path.index(module):] + [module])
        if module in done:
            return
        path.append(module)
        for imported in sorted(edges[module]):
            visit(imported)
        path.pop()
        done.add(module)

    assert len(edges) > 20  # the walk found the package
    for module in sorted(edges):
        visit(module)
