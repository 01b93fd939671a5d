"""INV-DEPS: a completion releases its dependents even when another transaction crosses it.

Forced interleaving (no luck needed): an outside transaction holds one dependent
row, the completion locks the other and waits for it, then the outside transaction
asks for the one the completion holds. PostgreSQL breaks the cycle by failing the
transaction that waited first, the completion. Before the change
dependents_in_order the agent's valid completion failed with 40P01 (seen in CI in
test_INV_DEPS_failures_settle_dependents_while_submitting); now the completion
retries in a subtransaction, which lets the other side through, and succeeds.
"""
from __future__ import annotations

import threading

import psycopg
import pytest

from .helpers import wait_until


@pytest.mark.race
def test_INV_DEPS_completion_survives_a_crossing_lock_on_its_dependents(db):
    _, submitter = db.agent("implementer")
    _, worker = db.agent("implementer")
    first = submitter.submit_task("build", "the dependency").task_id
    low = submitter.submit_task("test", "a dependent", depends_on=[first]).task_id
    high = submitter.submit_task("test", "another dependent", depends_on=[first]).task_id
    claim = worker.claim_task(["build"])
    assert claim.task_id == first

    outside = psycopg.connect(db.dsn, autocommit=False)
    outcome: dict[str, object] = {}

    def complete() -> None:
        try:
            outcome["result"] = worker.complete_task(first, claim.claim_token, {"done": True})
        except Exception as exc:  # noqa: BLE001 - the assertion below reports it
            outcome["error"] = exc

    try:
        outside.execute("SET deadlock_timeout = '5s'")   # the completion, waiting first, is the one checked
        outside.execute("SELECT 1 FROM coord_private.tasks WHERE task_id = %s FOR UPDATE", (high,))
        completing = threading.Thread(target=complete, daemon=True)
        completing.start()
        pid = worker.conn.info.backend_pid
        wait_until(lambda: db.lock_waiters([pid]), "the completion waits for the row the outside holds")
        try:
            outside.execute("SELECT 1 FROM coord_private.tasks WHERE task_id = %s FOR UPDATE", (low,))
        except psycopg.errors.DeadlockDetected:
            pass   # the outside transaction was chosen instead: the completion proceeds either way
        outside.rollback()
        completing.join(60)
        assert not completing.is_alive(), "the completion is still waiting"
    finally:
        outside.close()
    assert "error" not in outcome, f"the completion failed: {outcome.get('error')!r}"
    assert outcome["result"].ok
    unmet = db.su.execute("SELECT task_id, unmet_deps FROM coord_private.tasks WHERE task_id = ANY(%s) "
                          "ORDER BY task_id", ([low, high],)).fetchall()
    assert [r["unmet_deps"] for r in unmet] == [0, 0], unmet
