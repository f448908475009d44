"""The layers import downwards only: runtime (the lean install) imports nothing from train, export or
benchmarks; train nothing from export or benchmarks. Checked on every import statement, including the
ones inside functions (the lazy imports that keep torch out of runtime would otherwise hide a violation)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# package -> the top-level packages it must not import
FORBIDDEN = {
    "runtime": ("train", "export", "benchmarks"),
    "train": ("export", "benchmarks"),
}


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import statement in the file, relative ones resolved."""
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # `from ..x import y` inside package a.b -> a.x
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return found


def violations(package: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    """'file:line imports module' for each import of a forbidden package from inside `package`."""
    bad = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path, root):
            if module.split(".")[0] in forbidden:
                bad.append(f"{path.relative_to(root)}:{line} imports {module}")
    return bad


def test_runtime_imports_nothing_from_train_export_or_benchmarks():
    assert violations("runtime", FORBIDDEN["runtime"]) == []


def test_train_imports_nothing_from_export_or_benchmarks():
    assert violations("train", FORBIDDEN["train"]) == []


def test_the_rule_sees_plain_relative_and_function_level_imports(tmp_path):
    package = tmp_path / "runtime"
    package.mkdir()
    (package / "bad.py").write_text("import os\n"
                                    "from train.degrade import x\n"
                                    "def f():\n"
                                    "    import benchmarks.speed.fps\n"
                                    "    from ..export import graphs\n"
                                    "    from .sources import y\n")
    assert violations("runtime", FORBIDDEN["runtime"], root=tmp_path) == [
        "runtime/bad.py:2 imports train.degrade",
        "runtime/bad.py:4 imports benchmarks.speed.fps",
        "runtime/bad.py:5 imports export",
    ]
