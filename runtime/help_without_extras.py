"""`sharpcam train|export|bench|mos --help` on the base install, where torch and the other [train] modules
are missing: the command's module is imported with stand-ins for them, only to print its argparse help.

Help works everywhere; running needs the extra (the stand-ins do nothing, and the command is never run with
them). The modules import torch at their top, and their parsers take defaults from torch-using modules, so
this is the one way to show their real help without them.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types


class _StandIn(type):
    """A class that answers everything with itself: attribute, call, subscript, `|`, use as a base class."""

    def __getattr__(cls, name: str) -> "_StandIn":
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return cls

    def __call__(cls, *args, **kwargs) -> "_StandIn":
        return cls

    def __getitem__(cls, key) -> "_StandIn":
        return cls

    def __or__(cls, other) -> "_StandIn":
        return cls

    __ror__ = __or__


class _StandInModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _StandIn(name, (), {})


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, roots: set[str]) -> None:
        self.roots = roots

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.roots:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StandInModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module) -> None:
        pass


def print_help(module_name: str, extra_modules: set[str], needs: str) -> None:
    """Import `module_name` with stand-ins for whichever of `extra_modules` are missing, and run its main()
    with --help (which exits). `needs` is said first: what running the command takes."""
    stubbed: set[str] = set()
    finder = _StandInFinder(stubbed)
    sys.meta_path.insert(0, finder)
    while True:
        try:
            module = importlib.import_module(module_name)
            break
        except ModuleNotFoundError as err:
            root = (err.name or "").split(".")[0]
            if root not in extra_modules or root in stubbed:
                raise
            stubbed.add(root)
            if root in sys.modules and sys.modules[root] is None:  # marked missing: let the stand-in in
                del sys.modules[root]
    print(f"({needs})", file=sys.stderr)
    module.main(["--help"])
