"""Deprecated: kept only until runtime/sharpen.py imports runtime.contract and runtime.choose; delete it then.

(A module named `select` shadows the standard library's when runtime/ is on sys.path.)
"""
from runtime.choose import BACKENDS, open_backend  # noqa: F401
from runtime.contract import (DEFAULT_STUDENT, ENGINES, RESOLUTION_NAMES, RESOLUTIONS, STUDENTS,  # noqa: F401
                              graph_path, plan_path)
