"""Optional dependencies: import one when it is needed, or say in one line how to install it.

The runtime's base install is small (NumPy, OpenCV, ONNX Runtime); OpenVINO, TensorRT, PyAV and
pyvirtualcam are extras, imported only by the stage that uses them, so a missing one costs nothing until
that stage is asked for, and then fails with the fix instead of a traceback.
"""
from __future__ import annotations

import importlib
from types import ModuleType

from runtime.errors import SharpcamError


def require(module: str, advice: str) -> ModuleType:
    """The module, or a SharpcamError whose message is `advice` (what it is for, and how to install it)."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise SharpcamError(advice) from err


def extra_install(extra: str) -> str:
    """How to add an extra, as this install was made: a checkout's editable install or the wheel."""
    from runtime.artifacts import in_checkout
    return f"pip install -e '.[{extra}]'" if in_checkout() else f"pip install 'sharpcam[{extra}]'"


def available(module: str) -> bool:
    """Whether `module` imports here (the automatic choices ask before they use it)."""
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
