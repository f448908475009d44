"""The project's one exception type.

It lives in the runtime package because the runtime must stay importable without torch;
train/ and export/ raise it too. Messages say what went wrong and what to do about it.
"""


class SharpcamError(Exception):
    """An error the user can act on: a missing file, a wrong format, a missing dependency."""
