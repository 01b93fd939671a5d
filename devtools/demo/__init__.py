"""`make demo`: a small fleet of coding agents working one repository through pgcoord's doors.

    python -m devtools.demo [--dsn URL] [--prefix demo]
        (from the repository root, after `pgcoord db start` and `pgcoord deploy`;
        default database: $PGCOORD_DSN, else `pgcoord` on the embedded cluster)

Four agents run as four processes — alice and bob on the Python client
(``pgcoord.Client``), carol through the MCP server (``pgcoord mcp``, driven by the
official MCP SDK's client), dave behind the Claude Code PreToolUse hook (``pgcoord
hook pre-tool-use``) — on a task graph shaped like a change to a repository (graph.py).
The operator's steps go through the ``pgcoord`` command line. The story: leases with
contention and waiting on NOTIFY; bob killed (SIGKILL) while holding a claim, which
alice reclaims when it runs out; the operator moving from shadow mode (a force-push
recorded as would-deny, let through) to enforce (the same call denied); an approval
(the operator makes implementers' ``submit_task`` need one, carol's follow-up task is
refused ``approval_required`` with an approval id, she waits, the operator approves
with ``pgcoord approvals approve``, her identical call proceeds once); a guardrail
refusal; then ``pgcoord audit verify`` and a table of what each agent did, from the
audit trail. Each step is checked; anything not as shown ends in "demo: FAILED", exit 1.

Reruns: the roles are created or re-registered (``pgcoord agent add`` is idempotent),
anything an interrupted run left is released or cancelled by its owner (tidy.py), the
operator sets the profile back to no approval and rejects undecided requests, and a
finished run leaves no lease, no open task and no approval requirement; the mode ends
as enforce.

The modules, one concern each:

    conductor      the story, act by act, and its checks
    fleet          the agent processes, their events, kill
    wire           the JSON-lines protocol between the conductor and the agents
    operator_cli   the operator's steps through the `pgcoord` command
    observe        what the conductor reads as administrator (audit trail, queue)
    summary        the closing table from coord.audit_trail
    narration      printing (rich)
    tidy           what an interrupted earlier run left behind
    graph          the task graph
    workspace      the temporary repository the agents write into
    executables    how `pgcoord` is run; the agents' environments
    agent_lead     alice (Python client): plans, designs, reclaims, releases
    agent_worker   bob (Python client): claims, leases, is killed
    agent_mcp      carol (MCP): contends for a lease, waits, asks for an approval, integrates
    agent_hook     dave (PreToolUse hook): shadow and enforced guardrails, a hook-acquired lease
"""
