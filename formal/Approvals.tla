----------------------------- MODULE Approvals -----------------------------
(***************************************************************************)
(* pgcoord: approvals, the third verdict (docs/approvals.md; INV-APPROVAL) *)
(*                                                                         *)
(* A call that the policy engines answer `approval_required` is refused    *)
(* at once and leaves a request row (its id is the refused call's audit    *)
(* event id).  An approver other than the requester grants or rejects it.  *)
(* The agent then makes the same call again; the policy hook finds a       *)
(* granted, unexpired row with the same binding -- requester, operation,   *)
(* resource and arguments, policy version -- and uses it up in the call's  *)
(* own transaction.  This module is the abstract model of that protocol;   *)
(* the SQL is not built yet (issue 15).                                    *)
(*                                                                         *)
(*   Tick                  the clock advances (abstract now)               *)
(*   PolicyChange          the policy version (compiled generation, Cedar  *)
(*                         version) changes                                *)
(*   Request(a, op, x)     agent a calls op with arguments x, the engines  *)
(*                         answer approval_required and no usable grant    *)
(*                         exists: the call is refused and a pending       *)
(*                         request row is written (expires PendingTTL on)  *)
(*   Grant(ap, id)         coord.approve: approver ap grants a pending,    *)
(*                         unexpired request it did not make (the grant    *)
(*                         expires GrantTTL after it is given)             *)
(*   Reject(ap, id)        coord.reject: the same guard, then rejected     *)
(*   Expire(id)            a pending or granted row past its expiry is     *)
(*                         marked expired (optional: every guard also      *)
(*                         judges the expiry itself, so an unmarked row    *)
(*                         past its expiry is treated as absent)           *)
(*   Use(a, op, x)         agent a makes the same call again and a usable  *)
(*                         grant exists: the call proceeds and the grant   *)
(*                         becomes used (single use)                       *)
(*                                                                         *)
(* A call is therefore Use when a usable grant exists and Request when     *)
(* none does (the same lookup decides both): a call that finds no grant is *)
(* refused and asks again, with a new request row.  The model abstracts    *)
(* the engines' verdict: every call it makes is one they answer            *)
(* approval_required (an allowed call needs no grant, a denied one never   *)
(* reaches the lookup), and `Args` stands for the pair (resource, args     *)
(* digest).                                                                *)
(*                                                                         *)
(* Each action is one transaction, atomic in the model.  For the SQL that  *)
(* means: Use locks the row (FOR UPDATE) and judges UseUnused and UseLive  *)
(* after the lock, with the clock read then (coord_private.current_time,   *)
(* not now()); Grant and Reject lock the row and re-check GrantPending, so *)
(* of two concurrent decisions one finds the row no longer pending; and    *)
(* NotSelf compares session_user with session_user (a SET ROLE to an       *)
(* approver role the requester is a member of does not make it another     *)
(* approver).                                                              *)
(*                                                                         *)
(* The guards the SQL must keep are named operators -- UseMatches,         *)
(* UseUnused, UseLive, NotSelf, GrantPending -- so that each variant in    *)
(* formal/mutations/ replaces exactly one of them (a TLC definition        *)
(* override in its .cfg) and shows that INV_APPROVAL can fail.             *)
(*                                                                         *)
(* Invariant, by the ID of docs/invariants.md:                             *)
(*   INV-APPROVAL   INV_APPROVAL (with the ghosts uses, grantLog,          *)
(*                  rejectLog)                                             *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Agents,       \* roles that make calls (session_user of a coord_agent)
    Approvers,    \* roles that may approve or reject: coord_admin members
                  \*   and agents whose trust >= approver_trust.  It may
                  \*   share roles with Agents: an approver never decides
                  \*   its own request (NotSelf is checked per request).
    NoAgent,      \* model value: nobody (grantedBy of an undecided request)
    Ops,          \* operations that may need an approval
    Args,         \* (resource, args digest) values a call can carry
    MaxTime,      \* the modelled horizon of the abstract clock
    GrantTTL,     \* a grant expires GrantTTL ticks after it is given
    PendingTTL,   \* a pending request expires PendingTTL ticks after it is
                  \*   made
    MaxRequests,  \* bound on the number of request rows (model bound only)
    MaxPolicy     \* bound on policy changes (model bound only)

ASSUME /\ MaxTime \in Nat \ {0}
       /\ GrantTTL \in Nat \ {0}
       /\ PendingTTL \in Nat \ {0}
       /\ MaxRequests \in Nat
       /\ MaxPolicy \in Nat
       /\ NoAgent \notin Agents \cup Approvers
       /\ Agents # {} /\ Approvers # {} /\ Ops # {} /\ Args # {}

VARIABLES
    now,        \* the abstract clock, 0..MaxTime
    policy,     \* the current policy version, 0..MaxPolicy
    requests,   \* Seq of request rows: the request id is the index
    \* ---- ghost / history variables (no SQL counterpart) ----
    uses,       \* Seq of the calls that proceeded on a grant, in order
    grantLog,   \* set of grants given: [id, approver, at, expires]
    rejectLog   \* set of rejections: [id, approver, at]

vars == <<now, policy, requests, uses, grantLog, rejectLog>>

-----------------------------------------------------------------------------
(* Types and helpers                                                       *)

States   == {"pending", "granted", "rejected", "used", "expired"}
Time     == 0..MaxTime
Policies == 0..MaxPolicy
Ids      == 1..MaxRequests
ReqIds   == 1..Len(requests)          \* the ids of the rows written so far

RequestRow == [requester : Agents, op : Ops, args : Args, policy : Policies,
               state : States, expires : Time,
               grantedBy : Approvers \cup {NoAgent}]
UseRow     == [id : Ids, agent : Agents, op : Ops, args : Args, time : Time,
               policy : Policies]
GrantRow   == [id : Ids, approver : Approvers, at : Time, expires : Time]
RejectRow  == [id : Ids, approver : Approvers, at : Time]

\* A request or a grant ends ttl ticks from now.  The clock is bounded
\* (MaxTime), so an expiry beyond the horizon is truncated to it: within the
\* horizon the row is live the whole time either way, and at MaxTime every
\* row is treated as expired, which is what a shorter TTL would give.
Ends(ttl) == IF now + ttl <= MaxTime THEN now + ttl ELSE MaxTime

-----------------------------------------------------------------------------
(* The guards pgcoord's SQL must keep, one named operator each             *)

\* Use: the row's binding is the call's -- the same requester (session_user),
\* operation, (resource, args digest) and the current policy version.
UseMatches(a, op, x, id) ==
    /\ requests[id].requester = a
    /\ requests[id].op = op
    /\ requests[id].args = x
    /\ requests[id].policy = policy

\* Use: the row is granted -- not pending, rejected, expired or used already
\* (single use: the use marks it used in the same transaction).
UseUnused(id) == requests[id].state = "granted"

\* Use: the grant has not reached its expiry (a past-expiry grant is treated
\* as absent, whether or not Expire has marked it).
UseLive(id) == now < requests[id].expires

\* Grant / Reject: the approver is not the requester (by role name).
NotSelf(ap, id) == ap # requests[id].requester

\* Grant / Reject: the request is pending and has not reached its expiry.
GrantPending(id) ==
    /\ requests[id].state = "pending"
    /\ now < requests[id].expires

\* The lookup of the policy hook: request id is a grant agent a may use for
\* the call (op, x) now.
Usable(a, op, x, id) ==
    /\ UseMatches(a, op, x, id)
    /\ UseUnused(id)
    /\ UseLive(id)

-----------------------------------------------------------------------------
Init ==
    /\ now       = 0
    /\ policy    = 0
    /\ requests  = << >>
    /\ uses      = << >>
    /\ grantLog  = {}
    /\ rejectLog = {}

-----------------------------------------------------------------------------
(* Actions *)

\* Time passes.  Expiry needs no step: every guard compares with now.
Tick ==
    /\ now < MaxTime
    /\ now' = now + 1
    /\ UNCHANGED <<policy, requests, uses, grantLog, rejectLog>>

\* A policy change (new compiled generation or Cedar version): grants bound
\* to the old version stay in place but no longer match a call.
PolicyChange ==
    /\ policy < MaxPolicy
    /\ policy' = policy + 1
    /\ UNCHANGED <<now, requests, uses, grantLog, rejectLog>>

\* The call finds no usable grant: it is refused with approval_required and
\* the request row is written in the same transaction as its audit event.
Request(a, op, x) ==
    /\ Len(requests) < MaxRequests
    /\ ~\E id \in ReqIds : Usable(a, op, x, id)
    /\ requests' = Append(requests,
                     [requester |-> a, op |-> op, args |-> x,
                      policy |-> policy, state |-> "pending",
                      expires |-> Ends(PendingTTL), grantedBy |-> NoAgent])
    /\ UNCHANGED <<now, policy, uses, grantLog, rejectLog>>

\* coord.approve(id): by an approver, never the requester, of a pending
\* request that has not expired.
Grant(ap, id) ==
    /\ id \in ReqIds
    /\ NotSelf(ap, id)
    /\ GrantPending(id)
    /\ requests' = [requests EXCEPT ![id].state     = "granted",
                                    ![id].expires   = Ends(GrantTTL),
                                    ![id].grantedBy = ap]
    /\ grantLog' = grantLog \cup
                     {[id |-> id, approver |-> ap, at |-> now,
                       expires |-> Ends(GrantTTL)]}
    /\ UNCHANGED <<now, policy, uses, rejectLog>>

\* coord.reject(id): the same guard as Grant.
Reject(ap, id) ==
    /\ id \in ReqIds
    /\ NotSelf(ap, id)
    /\ GrantPending(id)
    /\ requests' = [requests EXCEPT ![id].state = "rejected"]
    /\ rejectLog' = rejectLog \cup {[id |-> id, approver |-> ap, at |-> now]}
    /\ UNCHANGED <<now, policy, uses, grantLog>>

\* A pending request or a grant past its expiry is marked expired.
Expire(id) ==
    /\ id \in ReqIds
    /\ requests[id].state \in {"pending", "granted"}
    /\ now >= requests[id].expires
    /\ requests' = [requests EXCEPT ![id].state = "expired"]
    /\ UNCHANGED <<now, policy, uses, grantLog, rejectLog>>

\* The same call again, and the lookup finds a usable grant: the row is
\* locked (FOR UPDATE), marked used and the call proceeds, all in the call's
\* transaction (a rollback is no step).  Of two usable rows either may be
\* taken.
Use(a, op, x) ==
    \E id \in ReqIds :
        /\ Usable(a, op, x, id)
        /\ requests' = [requests EXCEPT ![id].state = "used"]
        /\ uses' = Append(uses, [id |-> id, agent |-> a, op |-> op, args |-> x,
                                 time |-> now, policy |-> policy])
        /\ UNCHANGED <<now, policy, grantLog, rejectLog>>

Next ==
    \/ Tick
    \/ PolicyChange
    \/ \E a \in Agents, op \in Ops, x \in Args : Request(a, op, x)
    \/ \E a \in Agents, op \in Ops, x \in Args : Use(a, op, x)
    \/ \E ap \in Approvers, id \in Ids : Grant(ap, id)
    \/ \E ap \in Approvers, id \in Ids : Reject(ap, id)
    \/ \E id \in Ids : Expire(id)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Invariants *)

TypeOK ==
    /\ now \in Time
    /\ policy \in Policies
    /\ requests \in Seq(RequestRow)
    /\ Len(requests) <= MaxRequests
    /\ uses \in Seq(UseRow)
    /\ grantLog \subseteq GrantRow
    /\ rejectLog \subseteq RejectRow
    /\ \A id \in ReqIds :
          /\ requests[id].state = "pending" => requests[id].grantedBy = NoAgent
          /\ requests[id].state \in {"granted", "used"}
                => requests[id].grantedBy \in Approvers

\* INV-APPROVAL: a grant is never given by its requester, and every call that
\* proceeded on a grant
\*   - was granted by an approver other than the requester, at or before
\*     the use and with the use before that grant's expiry;
\*   - is the requester's own call, for the operation, (resource, args) and
\*     policy version of the request;
\*   - is the only use of that request (single use);
\*   - is of a request that was never rejected.
\* And a request is decided (granted or rejected) at most once: an approver
\* cannot approve or reject one that is no longer pending.
INV_APPROVAL ==
    /\ \A g \in grantLog :
          g.id \in ReqIds /\ g.approver # requests[g.id].requester
    /\ \A i \in 1..Len(uses) :
          LET u == uses[i]
              r == requests[u.id]
          IN  /\ u.id \in ReqIds
              /\ \E g \in grantLog :
                    /\ g.id = u.id
                    /\ g.approver # r.requester
                    /\ g.at <= u.time
                    /\ u.time < g.expires
              /\ u.agent = r.requester
              /\ u.op = r.op
              /\ u.args = r.args
              /\ u.policy = r.policy
              /\ \A j \in 1..Len(uses) : j # i => uses[j].id # u.id
              /\ ~\E x \in rejectLog : x.id = u.id
    /\ \A id \in ReqIds :
          Cardinality({g \in grantLog : g.id = id})
            + Cardinality({x \in rejectLog : x.id = id}) <= 1

=============================================================================
