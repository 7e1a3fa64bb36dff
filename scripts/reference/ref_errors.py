"""The one error type for bad input to make_reference.py: reported as a single line, no traceback."""


class UsageError(ValueError):
    pass
