"""HookError: a denial the hooks decide themselves, before or around the database.

Every part of the hooks raises it for what it refuses without asking the database (a
malformed payload, a path outside the repository, a network target computed at run
time, a missing PGCOORD_DSN, a failed git command); the entry points turn it into the
hook's answer (pre-tool-use: a denial with the ``code`` as its reason code; git
pre-commit and install: exit 1). It has a module of its own because all of them raise it.
"""
from __future__ import annotations


class HookError(Exception):
    """A denial decided before or around the database: ``code`` is the hook's reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
