"""The thin Python client: one method per coord function, nothing decided here.

Every rule lives in the database; this module only calls ``coord.*`` functions,
maps PC* SQLSTATEs to typed exceptions and turns refusals (``ok = false`` with a
reason code) into :class:`~pgcoord.errors.Refused` subclasses.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from . import errors


def _adapt(value: Any) -> Any:
    if isinstance(value, dict):
        return Jsonb(value)
    return value


class Client:
    """A pgcoord session over one psycopg connection (autocommit: one call, one transaction)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    @classmethod
    def connect(cls, dsn: str, **kwargs: Any) -> "Client":
        return cls(psycopg.connect(dsn, autocommit=True, row_factory=dict_row, **kwargs))

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one place SQL is issued ----------------------------------------
    def rows(self, function: str, *args: Any) -> list[dict[str, Any]]:
        """``SELECT * FROM coord.<function>(args)``, PC* errors mapped to typed exceptions."""
        query = sql.SQL("SELECT * FROM coord.{}({})").format(
            sql.Identifier(function), sql.SQL(", ").join(sql.Placeholder() * len(args))
        )
        try:
            with self.conn.cursor(row_factory=dict_row) as cur:
                cur.execute(query, [_adapt(a) for a in args])
                return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            mapped = errors.map_database_error(exc)
            if mapped is not None:
                raise mapped from exc
            raise

    def call(self, function: str, *args: Any, raise_on_refusal: bool = True) -> dict[str, Any]:
        """One-row mutation call; a refusal raises its typed exception unless told not to."""
        result = self.rows(function, *args)
        row = result[0] if result else {}
        if raise_on_refusal and row.get("ok") is False:
            raise errors.refusal(row.get("reason", "refused"), row)
        return row

    def query(self, text: str, *args: Any) -> list[dict[str, Any]]:
        """Read a coord view, e.g. ``client.query('SELECT * FROM coord.my_sessions')``."""
        try:
            with self.conn.cursor(row_factory=dict_row) as cur:
                cur.execute(text, args or None)
                return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            mapped = errors.map_database_error(exc)
            if mapped is not None:
                raise mapped from exc
            raise

    # -- identity and sessions -----------------------------------------------
    def whoami(self) -> dict[str, Any]:
        return self.rows("whoami")[0]

    def register_session(self, label: str = "", client_info: dict | None = None, **kw: Any) -> dict[str, Any]:
        return self.call("register_session", label, client_info or {}, **kw)

    def end_session(self, session_id: Any, **kw: Any) -> dict[str, Any]:
        return self.call("end_session", session_id, **kw)

    # -- administration (coord_admin) -----------------------------------------
    def register_agent(self, role: str, profile: str, **kw: Any) -> dict[str, Any]:
        return self.call("register_agent", role, profile, **kw)

    def set_agent_profile(self, role: str, profile: str, **kw: Any) -> dict[str, Any]:
        return self.call("set_agent_profile", role, profile, **kw)

    def set_agent_status(self, role: str, status: str, **kw: Any) -> dict[str, Any]:
        return self.call("set_agent_status", role, status, **kw)

    def set_enforcement_mode(self, mode: str, reason: str, **kw: Any) -> dict[str, Any]:
        return self.call("set_enforcement_mode", mode, reason, **kw)

    def purge_audit(self, before: datetime, reason: str, **kw: Any) -> dict[str, Any]:
        return self.call("purge_audit", before, reason, **kw)

    # -- audit (coord_auditor) -------------------------------------------------
    def verify_audit(self) -> dict[str, Any]:
        return self.rows("verify_audit")[0]

    def audit_digest(self) -> dict[str, Any]:
        return self.rows("audit_digest")[0]["audit_digest"]

    def verify_audit_digest(self, digest: dict[str, Any] | str) -> dict[str, Any]:
        if isinstance(digest, str):
            digest = json.loads(digest)
        return self.rows("verify_audit_digest", digest)[0]

    # -- policy checks on demand ---------------------------------------------------
    def check_guardrails(self, text: str, paths: Sequence[str] = (), **kw: Any) -> dict[str, Any]:
        """Scan a command or text (and paths); a blocking match raises GuardrailBlocked."""
        return self.call("check_guardrails", text, list(paths), **kw)

    def check_network_access(self, target: str, **kw: Any) -> dict[str, Any]:
        """Decide a domain or URL; a denial raises DomainDenied."""
        row = self.call("check_network_access", target, raise_on_refusal=False)
        if kw.get("raise_on_refusal", True) and row.get("allowed") is False:
            raise errors.refusal(row.get("reason", "domain_denied"), row)
        return row

    # -- file leases -------------------------------------------------------------
    def acquire_lock(self, path: str, ttl: timedelta | int, mode: str = "exclusive", reason: str = "",
                     **kw: Any) -> dict[str, Any]:
        return self.call("acquire_lock", path, _interval(ttl), mode, reason, **kw)

    def renew_lock(self, path: str, ttl: timedelta | int, **kw: Any) -> dict[str, Any]:
        return self.call("renew_lock", path, _interval(ttl), **kw)

    def release_lock(self, path: str, **kw: Any) -> dict[str, Any]:
        return self.call("release_lock", path, **kw)

    def force_release_lock(self, path: str, reason: str, **kw: Any) -> dict[str, Any]:
        return self.call("force_release_lock", path, reason, **kw)

    def check_locks(self, paths: Sequence[str]) -> list[dict[str, Any]]:
        return self.rows("check_locks", list(paths))

    def check_fence(self, path: str, token: int) -> bool:
        return bool(self.rows("check_fence", path, token)[0]["check_fence"])

    # -- task queue -----------------------------------------------------------------
    def submit_task(self, task_type: str, description: str = "", input: dict | None = None, priority: int = 0,
                    depends_on: Sequence[int] = (), idempotency_key: str | None = None,
                    max_attempts: int = 3, **kw: Any) -> dict[str, Any]:
        return self.call("submit_task", task_type, description, input or {}, priority, list(depends_on),
                         idempotency_key, max_attempts, **kw)

    def claim_task(self, types: Sequence[str] | None = None, lease: timedelta | int = 300,
                   **kw: Any) -> dict[str, Any]:
        return self.call("claim_task", list(types) if types is not None else None, _interval(lease), **kw)

    def claim_tasks(self, limit: int, types: Sequence[str] | None = None,
                    lease: timedelta | int = 300) -> list[dict[str, Any]]:
        return self.rows("claim_tasks", limit, list(types) if types is not None else None, _interval(lease))

    def renew_claim(self, task_id: int, claim_token: int, lease: timedelta | int = 300, **kw: Any) -> dict[str, Any]:
        return self.call("renew_claim", task_id, claim_token, _interval(lease), **kw)

    def complete_task(self, task_id: int, claim_token: int, result: dict | None = None, **kw: Any) -> dict[str, Any]:
        return self.call("complete_task", task_id, claim_token, result or {}, **kw)

    def fail_task(self, task_id: int, claim_token: int, error: str, retryable: bool = False,
                  **kw: Any) -> dict[str, Any]:
        return self.call("fail_task", task_id, claim_token, error, retryable, **kw)

    def cancel_task(self, task_id: int, reason: str, **kw: Any) -> dict[str, Any]:
        return self.call("cancel_task", task_id, reason, **kw)

    def get_task(self, task_id: int) -> dict[str, Any]:
        return self.rows("get_task", task_id)[0]


def _interval(value: timedelta | int | float) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
