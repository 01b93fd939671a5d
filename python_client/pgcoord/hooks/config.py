"""The hooks' settings, read from the environment (docs/hooks.md, "Configuration").

PGCOORD_HOOK_ON_UNLEASED, PGCOORD_HOOK_LEASE_TTL, PGCOORD_HOOK_ALLOW_DECISION,
PGCOORD_HOOK_WEBSEARCH_TARGET, PGCOORD_REPO_ROOT and PGCOORD_HOOK_CONNECT_TIMEOUT. A value
that is not one of the allowed ones is refused (HookError ``invalid_configuration``),
never replaced by a default: a hook that silently misread its settings would decide
differently from what its operator configured.
"""
from __future__ import annotations

import os

from .errors import HookError


class Config:
    """The hook's settings, from the environment (docs/hooks.md, "Configuration")."""

    __slots__ = ("on_unleased", "lease_ttl", "allow_decision", "websearch_target", "repo_root",
                 "connect_timeout")

    def __init__(self, on_unleased: str = "deny", lease_ttl: int = 600, allow_decision: str = "pass",
                 websearch_target: str = "api.anthropic.com", repo_root: str | None = None,
                 connect_timeout: int = 5):
        self.on_unleased = on_unleased
        self.lease_ttl = lease_ttl
        self.allow_decision = allow_decision
        self.websearch_target = websearch_target
        self.repo_root = repo_root
        self.connect_timeout = connect_timeout

    @classmethod
    def from_env(cls, env: dict[str, str] | os._Environ[str]) -> Config:
        def choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
            value = env.get(name, "").strip() or default
            if value not in allowed:
                raise HookError("invalid_configuration", f"{name}={value!r}: expected one of {', '.join(allowed)}")
            return value

        def seconds(name: str, default: int, low: int, high: int) -> int:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or not low <= int(raw) <= high:
                raise HookError("invalid_configuration", f"{name}={raw!r}: expected whole seconds, {low} to {high}")
            return int(raw)

        root = env.get("PGCOORD_REPO_ROOT", "").strip() or None
        if root is not None and not os.path.isabs(root):
            raise HookError("invalid_configuration", f"PGCOORD_REPO_ROOT={root!r}: expected an absolute path")
        return cls(on_unleased=choice("PGCOORD_HOOK_ON_UNLEASED", "deny", ("deny", "acquire")),
                   lease_ttl=seconds("PGCOORD_HOOK_LEASE_TTL", 600, 1, 86400),
                   allow_decision=choice("PGCOORD_HOOK_ALLOW_DECISION", "pass", ("pass", "allow")),
                   websearch_target=env.get("PGCOORD_HOOK_WEBSEARCH_TARGET", "").strip() or "api.anthropic.com",
                   repo_root=root,
                   connect_timeout=seconds("PGCOORD_HOOK_CONNECT_TIMEOUT", 5, 1, 60))
