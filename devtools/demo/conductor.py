"""The story of `make demo`, act by act: the operator's steps, the four agents' processes,
and the checks that what is shown really happened (otherwise: exit 1, "demo: FAILED").

Order between processes comes from events, never from sleeping: the conductor waits
for an agent's event (fleet.py), or for an audit event that shows an agent is already
waiting (observe.py), before it lets another agent do what will wake it. The one
deliberate wait is the expiry of the claim a killed agent leaves behind (5 s).
"""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit, urlunsplit

from . import summary, workspace
from .agent_lead import RUN_ENV
from .executables import clean_environment
from .fleet import AgentProcess, DemoFailed
from .narration import Narrator
from .observe import Observer
from .operator_cli import Operator
from .tidy import clear_approvals, tidy

#: name -> (how it reaches pgcoord, its module)
AGENTS = {
    "alice": ("client", "devtools.demo.agent_lead"),
    "bob": ("client", "devtools.demo.agent_worker"),
    "carol": ("MCP", "devtools.demo.agent_mcp"),
    "dave": ("hook", "devtools.demo.agent_hook"),
}
PROFILE = "implementer"
#: The act with an approval: the agent operation that needs one, and the operator's note.
NEEDS_APPROVAL = "submit_task"
APPROVAL_NOTE = "a changelog for /users and /orders: yes"


def shown_dsn(dsn: str) -> str:
    """A DSN fit to print (no password)."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def check(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailed(what)


class Conductor:
    def __init__(self, dsn: str, prefix: str, narrator: Narrator):
        self.dsn = dsn
        self.say = narrator
        self.roles = {name: f"{prefix}_{name}" for name in AGENTS}
        self.operator = Operator(dsn, narrator)
        self.observer: Observer | None = None
        self.repo = workspace.create()
        self.agents: dict[str, AgentProcess] = {}

    def close(self) -> None:
        for agent in self.agents.values():
            agent.stop()
        if self.observer is not None:
            self.observer.close()
        workspace.remove(self.repo)

    # -- the story ----------------------------------------------------------------------------

    def run(self) -> None:
        s = self.say
        s.title("pgcoord demo: four coding agents, four processes, one repository")
        s.line("demo", f"database {shown_dsn(self.dsn)} (the operator's login)\nrepository {self.repo} (git init)")
        self.observer = Observer(self.dsn)
        self.first = self.observer.last_event_id()
        self.register()
        self.start_fleet()
        self.contention()
        self.crash_and_reclaim()
        self.promotion()
        self.approval()
        self.integration()
        self.report()
        s.console.print()
        s.title(f"demo: done in {s.elapsed():.1f} s")

    def register(self) -> None:
        self.say.act(1, "The operator registers the fleet and starts in shadow mode (pgcoord CLI)")
        self.dsns = {}
        for name, role in self.roles.items():
            self.dsns[name] = self.operator.add_agent(role, PROFILE)["dsn"]
        rejected = clear_approvals(self.dsn, PROFILE, list(self.roles.values()))
        released, cancelled = tidy({self.roles[n]: self.dsns[n] for n in AGENTS})
        if released or cancelled or rejected:
            self.say.line("operator", f"an interrupted earlier run left {released} live lease(s), {cancelled} "
                                      f"open task(s) and {rejected} undecided approval request(s): each agent "
                                      "released its leases and cancelled its tasks, the operator rejected the "
                                      "requests")
        self.operator.set_mode("shadow", "onboarding the fleet: record what would be denied, deny nothing yet")

    def start_fleet(self) -> None:
        s = self.say
        s.act(2, "Four agents start as four processes; the lead plans the work (shadow mode)")
        run = uuid.uuid4().hex[:12]
        for name, (door, module) in AGENTS.items():
            env = clean_environment(PGCOORD_DSN=self.dsns[name], **{workspace.ENV: str(self.repo), RUN_ENV: run})
            self.agents[name] = AgentProcess(name, self.roles[name], door, module, env, s.line)
        alice, bob, dave = self.agents["alice"], self.agents["bob"], self.agents["dave"]
        for agent in self.agents.values():
            agent.expect("ready")
        alice.go("plan")
        self.ids = alice.expect("planned")["ids"]
        bob.expect("waiting")
        seen = self.observer.wait_for_event(self.first, bob.role, "claim_task", "task_not_claimable")
        s.result(f"(his first claim is in the audit trail: task_not_claimable, event {seen['event_id']}; "
                 "he sleeps until a notification)")
        dave.go("shadow-push")
        d = dave.expect("decision")
        check(d["allowed"] and "would block" in d["context"],
              f"shadow mode: the hook should allow the force-push with a warning, it said {d}")
        ev = self.observer.events(self.first, dave.role, "check_guardrails", "guardrail_blocked")
        check(bool(ev) and ev[-1]["proceeded"] and not ev[-1]["allowed"] and ev[-1]["mode"] == "shadow",
              f"shadow mode: the force-push should be recorded as a would-deny, found {ev}")
        s.result(f"(audit event {ev[-1]['event_id']}: allowed=false, proceeded=true, reason guardrail_blocked, "
                 "mode shadow — a would-deny)")

    def contention(self) -> None:
        s = self.say
        s.act(3, "Leases: contention, and waiting on NOTIFY instead of polling")
        alice, bob, carol, dave = (self.agents[n] for n in AGENTS)
        alice.go("design")
        for event in ("claimed", "leased", "completed"):
            alice.expect(event)
        self.orphan = bob.expect("claimed")["task_id"]
        check(self.orphan == self.ids["users"], f"bob should claim 'implement /users' (#{self.ids['users']}), "
                                                f"he claimed #{self.orphan}")
        held = bob.expect("holding")["paths"]
        carol.go("claim")
        check(carol.expect("claimed")["task_id"] == self.ids["orders"], "carol should claim 'implement /orders'")
        carol.expect("leased")
        carol.go("contend")
        busy = carol.expect("contended")
        check(busy["holders"] == [bob.role], f"src/api/routes.py should be held by {bob.role}: {busy['holders']}")
        carol.expect("waiting")
        # her waiting call's own first attempt (made after LISTEN) is the second refusal on the path
        self.observer.wait_for_event(self.first, carol.role, "acquire_lock", "lock_held_by_other",
                                     resource=held[1], count=2)
        bob.go("release-routes")
        bob.expect("released")
        carol.expect("granted")
        carol.expect("completed")
        bob.expect("working")
        dave.go("edit-users")
        d = dave.expect("decision")
        check(not d["allowed"] and d["exit"] == 2 and "lock_held_by_other" in d["reason"] and bob.role in d["reason"],
              f"the hook should deny dave's edit of {held[0]}, leased by {bob.role}: {d}")
        dave.go("docs")
        d = dave.expect("decision")
        check(d["allowed"], f"the hook should lease docs/api.md for dave and allow the write: {d}")

    def crash_and_reclaim(self) -> None:
        s = self.say
        s.act(4, "An agent dies holding a claim; another reclaims the task when the claim runs out")
        alice, bob = self.agents["alice"], self.agents["bob"]
        code = bob.kill()
        s.line("demo", f"kill -9 {bob.pid}: bob dies (exit {code}) holding claim #{self.orphan} and the lease on "
                       "src/api/users.py; no exit handler runs, nothing is released")
        task = self.observer.task(self.orphan)
        check(task.claimed_by == bob.role, f"#{self.orphan} should still be claimed by {bob.role}: {task}")
        s.result(f"(the database still shows #{self.orphan} claimed by {task.claimed_by}, attempt {task.attempts}; "
                 "nobody renews it now)")
        alice.go("reclaim")
        alice.expect("expiry")
        again = alice.expect("reclaimed")
        check(again["task_id"] == self.orphan and again["attempt"] == 2,
              f"alice should reclaim #{self.orphan} as attempt 2: {again}")
        alice.expect("leased")
        alice.expect("completed")
        alice.expect("waiting")

    def promotion(self) -> None:
        s = self.say
        s.act(5, "Shadow → enforce: the operator reviews what would have been denied, then enforces")
        dave = self.agents["dave"]
        rows = self.observer.would_deny(self.first, list(self.roles.values()))
        s.line("operator", f"would-deny events of this run in coord.audit_trail (NOT allowed AND proceeded): "
                           f"{len(rows)}")
        for r in rows:
            s.result(f"event {r['event_id']}: {r['actor']} {r['operation']} {r['excerpt'] or r['resource']!r} → "
                     f"{r['reason']} (mode {r['mode']})")
        check(any(r["actor"] == dave.role and r["reason"] == "guardrail_blocked" for r in rows),
              "the review should find dave's force-push among the would-deny events")
        self.operator.set_mode("enforce", "shadow run reviewed: the guardrails are right, enforce them")
        dave.go("enforce-push")
        d = dave.expect("decision")
        check(not d["allowed"] and d["exit"] == 2 and "guardrail_blocked" in d["reason"],
              f"enforce mode: the hook should deny the force-push with guardrail_blocked: {d}")

    def approval(self) -> None:
        s = self.say
        s.act(6, "An approval: a follow-up task needs a person's OK (a third verdict beside allow and deny)")
        carol = self.agents["carol"]
        start = self.observer.last_event_id()
        s.line("operator", "follow-up tasks need a person's OK: implementers' submit_task now asks for an approval")
        self.operator.require_approvals(PROFILE, NEEDS_APPROVAL)
        carol.go("followup")
        asked = carol.expect("approval-required")
        approval_id = asked.get("approval_id")
        check(asked.get("reason") == "approval_required" and approval_id is not None
              and approval_id == asked.get("event_id") and asked["text"].startswith("approval_required: "),
              f"carol's submit_task should be refused approval_required, naming its approval id: {asked}")
        ev = self.observer.event(approval_id)
        check((ev["actor"], ev["operation"], ev["reason"], ev["proceeded"], ev["mode"])
              == (carol.role, NEEDS_APPROVAL, "approval_required", False, "enforce"),
              f"audit event {approval_id} should be carol's submit_task refused approval_required: {ev}")
        s.result(f"(audit event {approval_id}: allowed=false, proceeded=false, reason approval_required — "
                 "nothing was queued; the event's id is the approval's)")
        carol.expect("waiting")
        s.line("operator", "sees the request and approves it")
        pending = self.operator.pending_approvals(set(self.roles.values()))
        check([r["approval_id"] for r in pending] == [approval_id]
              and (pending[0]["requester"], pending[0]["operation"]) == (carol.role, NEEDS_APPROVAL),
              f"the fleet's one pending request should be carol's submit_task {approval_id}: {pending}")
        self.operator.approve(approval_id, APPROVAL_NOTE)
        decided = carol.expect("decided")
        check(decided["state"] == "granted" and decided["note"] == APPROVAL_NOTE
              and decided["decided_by"] not in (None, carol.role),
              f"carol's wait should end with the operator's grant: {decided}")
        done = carol.expect("submitted")
        check(done["reason"] == "approved" and done["approval_state"] == "used",
              f"carol's identical submit_task should proceed on the grant (reason approved) and use it up: {done}")
        self.followup = done["task_id"]
        trail = self.observer.events(start, carol.role, NEEDS_APPROVAL)
        check([e["reason"] for e in trail] == ["approval_required", "approved"]
              and trail[1]["context"].get("approval_id") == approval_id,
              f"the trail should hold carol's submit_task refused approval_required, then approved with approval "
              f"{approval_id}: {[(e['event_id'], e['reason']) for e in trail]}")
        used = self.observer.approval(approval_id)
        check(used is not None and used.state == "used" and used.used_event_id == done["event_id"],
              f"approval {approval_id} should be used by audit event {done['event_id']}: {used}")
        s.result(f"(the trail: event {trail[0]['event_id']} approval_required, event {trail[1]['event_id']} approved "
                 f"with approval_id {approval_id}; the approval is used by event {used.used_event_id}, once)")
        check(carol.expect("claimed")["task_id"] == self.followup, f"carol should claim her follow-up #{self.followup}")
        carol.expect("completed")
        s.line("operator", "back to no approvals for implementers")
        self.operator.require_approvals(PROFILE)

    def integration(self) -> None:
        s = self.say
        s.act(7, "Integration and release (and a guardrail refusal on the way)")
        alice, carol, dave = self.agents["alice"], self.agents["carol"], self.agents["dave"]
        carol.go("integrate")
        check(carol.expect("claimed")["task_id"] == self.ids["integrate"], "carol should claim 'integrate'")
        g = carol.expect("guardrail")
        check(g["blocked"] and g["reason"] == "guardrail_blocked", f"check_command should be blocked: {g}")
        carol.expect("completed")
        carol.expect("done", quiet=True)
        check(alice.expect("claimed")["task_id"] == self.ids["release"], "alice should claim 'release'")
        alice.expect("leased")
        alice.expect("completed")
        alice.expect("done", quiet=True)
        dave.go("release")
        d = dave.expect("decision")
        check(d["allowed"] and d.get("released"), f"dave should release his lease on docs/api.md: {d}")
        dave.expect("done", quiet=True)
        for name in ("alice", "carol", "dave"):
            code = self.agents[name].finish()
            check(code == 0, f"{name} exited {code}")
        s.line("demo", "the repository now holds " + ", ".join(workspace.files(self.repo)))

    def report(self) -> None:
        s = self.say
        s.act(8, "The operator checks: status, the audit trail, what each agent did")
        status = self.operator.status()
        fleet = set(self.roles.values())
        ours = [x for x in status["leases"] if x["holder"] in fleet]
        queue = ", ".join(f"{k} {v}" for k, v in status["queue"].items())
        audit = status["audit"]
        health = f"{'verified' if audit['ok'] else 'BROKEN'} ({audit['events']} events)"
        s.result(f"mode {status['enforcement_mode']}; live leases of the fleet: {len(ours)}; "
                 f"queue (all runs): {queue}; audit {health}")
        check(status["enforcement_mode"] == "enforce", "the run should end in enforce mode")
        check(not ours, f"the fleet should hold no lease at the end: {ours}")
        for key, task_id in {**self.ids, "followup": self.followup}.items():
            check(self.observer.task(task_id).status == "completed", f"task {key} (#{task_id}) is not completed")
        self.operator.verify_audit()
        order = [self.roles[n] for n in AGENTS]
        counts = summary.tally(self.observer.client, self.first, order)
        doors = [(self.roles[n], door + (", killed" if n == "bob" else "")) for n, (door, _) in AGENTS.items()]
        s.show(summary.table(counts, doors))
        alice, bob, carol, dave = (counts.get(r, {}) for r in order)
        check(alice.get("reclaims") == 1 and alice.get("completions") == 3, f"alice's tally is off: {alice}")
        check(bob.get("claims") == 1 and not bob.get("completions"), f"bob's tally is off: {bob}")
        check(carol.get("contended", 0) >= 1 and carol.get("completions") == 3 and carol.get("approved") == 1
              and carol.get("refusals", {}).get("approval_required") == 1 and not carol.get("would_deny"),
              f"carol's tally is off: {carol}")
        check(dave.get("would_deny", 0) >= 1 and dave.get("refusals", {}).get("guardrail_blocked", 0) >= 1,
              f"dave's tally is off: {dave}")
