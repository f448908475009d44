"""Kept for modules not yet moved to runtime/contract.py (runtime/sharpen.py); import runtime.contract instead."""
from runtime.contract import *  # noqa: F401,F403
from runtime.contract import DEFAULT_STRENGTH  # noqa: F401 - named, for readers grepping
