"""pgcoord.AsyncClient against the real database: the same typed results and exceptions
as the sync client, leases and claims held by `async with` (renewed by an asyncio task
on a connection of its own), and waiting on NOTIFY (wait_for_lease, the worker loop),
on a DSN, a passed AsyncConnection and an AsyncConnectionPool."""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime

import psycopg
import pytest
from psycopg_pool import AsyncConnectionPool

from pgcoord import (
    AsyncClient,
    Claim,
    ClaimLost,
    LeaseGrant,
    LeaseLost,
    LockHeld,
    Refusal,
    SubmittedTask,
    TaskNotClaimable,
    errors,
)

from .helpers import Database

pytestmark = pytest.mark.asyncio


def uid(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def reasons(db: Database, operation: str, actor: str) -> list[str]:
    return [e["reason"] for e in db.audit_events(operation, actor)]


async def until(cond: Callable[[], object], what: str, deadline: float = 30.0) -> None:
    """Poll ``cond`` without blocking the event loop (the renewal tasks run meanwhile)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not cond():
        if loop.time() > end:
            raise AssertionError(f"timed out after {deadline} s waiting for {what}")
        await asyncio.sleep(0.02)


async def agent(db: Database, profile: str = "implementer") -> tuple[str, AsyncClient]:
    role = db.create_role("coord_agent")
    db.su.execute("SELECT coord.register_agent(%s, %s)", (role, profile))
    return role, await AsyncClient.connect(db.role_dsn(role))


async def test_INV_LOCK_EXCL_async_results_and_refusals_are_typed(module_db):
    role_a, a = await agent(module_db)
    role_b, b = await agent(module_db)
    async with a, b:
        p = uid("async/") + "/"
        grant = await a.acquire_lock(p, 60)
        assert isinstance(grant, LeaseGrant) and grant.path == p and isinstance(grant.expires_at, datetime)
        with pytest.raises(LockHeld) as raised:
            await b.acquire_lock(p + "x.py", 30)
        assert raised.value.holders[0].holder == role_a and raised.value.expires_at == grant.expires_at
        refusal = await b.acquire_lock(p + "x.py", 30, raise_on_refusal=False)
        assert isinstance(refusal, Refusal) and refusal.reason == "lock_held_by_other" and refusal.retryable
        assert refusal.event_id == module_db.audit_events("acquire_lock", role_b)[-1]["event_id"]
        kind = uid("async.")
        submitted = await a.submit_task(kind, input={"n": 1})
        assert isinstance(submitted, SubmittedTask)
        claim = await b.claim_task([kind], 60)
        assert isinstance(claim, Claim) and claim.input == {"n": 1}
        assert (await b.complete_task(claim.task_id, claim.claim_token, {"ok": 1})).ok
        assert (await a.get_task(claim.task_id)).result == {"ok": 1}
        assert (await a.whoami()).role_name == role_a
        with pytest.raises(TaskNotClaimable):
            await b.claim_task([kind])
        with pytest.raises(errors.InvalidPath):
            await a.acquire_lock("/abs", 30)
        with pytest.raises(errors.PermissionDenied):
            await a.reap_expired()


async def test_async_check_guardrails_resolves_paths_against_workspace_and_cwd(module_db):
    """(needs the four-argument coord.check_guardrails) As the sync client: the workspace
    and the cwd reach the shell analyser; an invalid value is PC002."""
    _, a = await agent(module_db)
    async with a:
        assert (await a.check_guardrails("rm -rf /srv/app/build", workspace="/srv/app", cwd="/srv/app")).ok
        refused = await a.check_guardrails("rm -rf /srv/app/build", raise_on_refusal=False)
        assert isinstance(refused, Refusal) and refused.reason == "guardrail_blocked"
        assert (await a.check_guardrails("rm -rf etc")).ok
        with pytest.raises(errors.GuardrailBlocked):
            await a.check_guardrails("rm -rf etc", cwd="/")
        with pytest.raises(errors.InvalidArgument):
            await a.check_guardrails("ls", workspace="relative/dir")


async def test_INV_BOUNDARY_async_every_sqlstate_raises_its_class(module_db):
    su = await AsyncClient.connect(module_db.dsn)
    async with su:
        rows = await su.query("SELECT sqlstate FROM coord.error_codes ORDER BY 1")
        for state in [r["sqlstate"] for r in rows] + ["42501", "55P03"]:
            cls = errors.SQLSTATE_EXCEPTIONS.get(state) or errors.POSTGRES_EXCEPTIONS[state]
            with pytest.raises(cls):
                await su.query(f"DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '{state}', MESSAGE = 'm'; END $$")


async def test_INV_LOCK_EXCL_async_held_lease_renews_past_its_ttl_and_releases(module_db):
    role, a = await agent(module_db)
    _, b = await agent(module_db)
    async with a, b:
        p = uid("asynclease/") + "/"
        async with a.lease(p, ttl=1.5) as lease:
            await until(lambda: reasons(module_db, "renew_lock", role).count("allowed") >= 3, "three renewals")
            assert (await b.acquire_lock(p, 30, raise_on_refusal=False)).reason == "lock_held_by_other"
            assert await a.check_fence(p, lease.token)
        assert reasons(module_db, "release_lock", role) == ["allowed"]
        assert (await b.acquire_lock(p, 30)).ok


async def test_INV_LOCK_FENCE_async_force_released_lease_raises_lease_lost_at_next_call_and_on_exit(module_db):
    role, a = await agent(module_db)
    _, orch = module_db.agent("orchestrator")
    async with a:
        p = uid("asyncforced/") + "/"
        with pytest.raises(LeaseLost) as on_exit:
            async with a.lease(p, ttl=600) as lease:
                orch.force_release_lock(p, "stuck")
                await until(lambda: lease.lost is not None, "the renewal task to hear the NOTIFY")
                with pytest.raises(LeaseLost) as at_call:
                    await a.whoami()
                assert (at_call.value.path, at_call.value.reason) == (p, "lock_not_held")
                assert (await a.whoami()).role_name == role
        assert on_exit.value is at_call.value
        assert reasons(module_db, "renew_lock", role) == [] and reasons(module_db, "release_lock", role) == []


async def test_INV_COMPLETE_OWNER_async_claim_blocks_complete_fail_and_lose(module_db):
    _, sub = module_db.agent()
    _, orch = module_db.agent("orchestrator")
    role, w = await agent(module_db)
    async with w:
        kind = uid("asyncclaim.")
        t1 = sub.submit_task(kind, input={"n": 3})
        async with w.claim([kind], lease=60) as task:
            task.result = {"triple": task.input["n"] * 3}
        assert sub.get_task(t1.task_id).result == {"triple": 9}

        t2 = sub.submit_task(kind)
        with pytest.raises(KeyError):
            async with w.claim([kind], lease=60):
                raise KeyError("missing")
        failed = sub.get_task(t2.task_id)
        assert (failed.status, failed.error) == ("pending", "KeyError: 'missing'")

        with pytest.raises(ClaimLost) as lost:
            async with w.claim([kind], lease=1.5) as task:
                assert task.task_id == t2.task_id and task.attempt == 2
                orch.cancel_task(t2.task_id, "not needed")
                await until(lambda: task.lost is not None, "the renewal to be refused")
        assert lost.value.reason == "task_terminal"
        assert reasons(module_db, "complete_task", role) == ["allowed"]


async def test_INV_LOCK_EXCL_async_wait_for_lease_is_woken_by_the_release(module_db):
    role_a, a = await agent(module_db)
    role_b, b = await agent(module_db)
    async with a, b:
        p = uid("asyncwake/") + ".py"
        await a.acquire_lock(p, 600)
        waiter = asyncio.create_task(b.wait_for_lease(p, 60, ttl=30))
        await until(lambda: "lock_held_by_other" in reasons(module_db, "acquire_lock", role_b), "b's first attempt")
        await a.release_lock(p)
        grant = await asyncio.wait_for(waiter, 60)
        assert grant.ok
        attempts = module_db.audit_events("acquire_lock", role_b)
        assert [e["reason"] for e in attempts] == ["lock_held_by_other", "allowed"]
        assert attempts[1]["event_id"] > module_db.audit_events("release_lock", role_a)[-1]["event_id"]


async def test_INV_DEPS_async_worker_loop_claims_as_tasks_become_claimable(module_db):
    _, sub = module_db.agent()
    role_w, w = await agent(module_db)
    _, other = module_db.agent()
    async with w:
        kind = uid("asyncloop.")
        first = sub.submit_task(kind + ".first")
        dependent = sub.submit_task(kind + ".then", depends_on=[first.task_id])
        stop = asyncio.Event()
        seen: list[int] = []

        async def work() -> None:
            async for task in w.tasks([kind + ".then"], stop=stop, poll_interval=120):
                async with task:
                    seen.append(task.task_id)
        worker = asyncio.create_task(work())
        await until(lambda: "task_not_claimable" in reasons(module_db, "claim_task", role_w), "the worker to wait")
        c = other.claim_task([kind + ".first"], 60)
        other.complete_task(c.task_id, c.claim_token)
        await until(lambda: seen == [dependent.task_id], "the dependent to be done")
        stop.set()
        await asyncio.wait_for(worker, 30)
        assert reasons(module_db, "claim_task", role_w)[:2] == ["task_not_claimable", "allowed"]
        assert sub.get_task(dependent.task_id).status == "completed"


async def test_async_client_on_a_passed_connection_and_on_a_pool(module_db):
    role, _ = module_db.agent()
    _, other = module_db.agent()
    conn = await psycopg.AsyncConnection.connect(module_db.role_dsn(role))   # not autocommit
    try:
        c = AsyncClient(conn)
        p = uid("asynctx/") + ".py"
        await c.acquire_lock(p, 30)
        assert [x.holder for x in other.check_locks([p])] == [role], "the call committed"
        async with c.lease(p + "2", ttl=30) as lease:
            assert other.check_locks([p + "2"])[0].token == lease.token
        await c.close()
        assert not conn.closed, "a passed connection stays the caller's"
    finally:
        await conn.close()
    async with AsyncConnectionPool(module_db.role_dsn(role), kwargs={"autocommit": True}, min_size=1, max_size=3,
                                   open=False) as pool:
        c = AsyncClient(pool)
        assert (await c.whoami()).role_name == role
        with pytest.raises(TypeError):
            c.conn  # noqa: B018 - the property raises
        p = uid("asyncpool/") + "/"
        async with c.lease(p, ttl=30) as lease:
            assert await c.check_fence(p, lease.token)
        assert other.check_locks([p]) == []
        other.acquire_lock(p, 30)
        waiter = asyncio.create_task(c.wait_for_lease(p, 30, ttl=30))
        await until(lambda: reasons(module_db, "acquire_lock", role).count("lock_held_by_other") >= 1, "the waiter")
        other.release_lock(p)
        assert (await asyncio.wait_for(waiter, 30)).ok


async def test_INV_LOCK_EXPIRY_async_heartbeat_discover_and_lease_status(module_db):
    role, sync = module_db.agent()
    async with AsyncClient(module_db.role_dsn(role)) as c:
        beat = await c.heartbeat("idle", ["review"])
        assert beat.ok and beat.heartbeat_at is not None
        mine = [x for x in await c.discover_agents(capability="review") if x.role_name == role]
        assert mine and mine[0].liveness == "live" and mine[0].reported_status == "idle"
        path = f"async/{role}/"
        await c.acquire_lock(path, 600)
        assert [(g.path, g.state) for g in await c.lease_status()] == [(path, "live")]
        await c.release_lock(path)
        assert [(g.path, g.state, g.cause) for g in await c.lease_status()] == [(path, "lost", "released")]


async def test_async_complete_tasks_completes_a_claimed_batch_in_one_transaction(module_db):
    _, sub = await agent(module_db)
    _, w = await agent(module_db, "orchestrator")   # (an implementer holds at most 3 claims)
    kind = uid("abatch.")
    async with sub, w:
        for n in range(4):
            await sub.submit_task(kind, input={"n": n})
        claims = await w.claim_tasks(4, [kind], 60)
        results = await w.complete_tasks([(c.task_id, c.claim_token, {"n": c.input["n"]}) for c in claims[:3]]
                                         + [(claims[3].task_id, claims[3].claim_token + 7)])
        assert [r.ok for r in results] == [True, True, True, False] and results[3].reason == "not_claim_owner"
        assert [(await sub.get_task(c.task_id)).status for c in claims] == ["completed"] * 3 + ["claimed"]


async def test_INV_LOCK_EXCL_async_acquire_locks_all_or_nothing(module_db):
    role, a = await agent(module_db)
    _, b = await agent(module_db)
    base = uid("abatch/")
    async with a, b:
        grants = await a.acquire_locks([f"{base}/y.py", f"{base}/x.py"], 60)
        assert [(g.path, g.ok) for g in grants] == [(f"{base}/x.py", True), (f"{base}/y.py", True)]
        refusal = await b.acquire_locks([f"{base}/x.py", f"{base}/z.py"], 60, raise_on_refusal=False)
        assert refusal.reason == "lock_held_by_other" and refusal.holders[0].holder == role
        assert await b.check_locks([f"{base}/z.py"]) == []
