---------------------------- MODULE Coordination ----------------------------
(***************************************************************************)
(* pgcoord: the lock / claim / lease state machine.                        *)
(*                                                                         *)
(* The abstract model of the coordination core that the PL/pgSQL          *)
(* functions of schema `coord` implement.  Each action below corresponds   *)
(* to one API function (or one branch of one) and keeps its name, so SQL  *)
(* comments, pgTAP tests and the hypothesis state machine can cite it:    *)
(*                                                                         *)
(*   Tick                      the clock advances (abstract now)           *)
(*   AcquireLock(a, p, m)      acquire (or re-acquire) a lock in mode m,   *)
(*                             exclusive or shared                         *)
(*   RenewLock(a, p)           extend one's own live lock                  *)
(*   ReleaseLock(a, p)         release one's own live lock                 *)
(*   ForceRelease(p)           an elevated agent releases every lock on    *)
(*                             exactly p, whoever holds it (= the holders' *)
(*                             ReleaseLock steps; not a disjunct of Next)  *)
(*   SubmitTask(t)             queue a task (its dependencies exist, none  *)
(*                             failed or cancelled)                        *)
(*   ClaimTask(a, t)           claim a pending task                        *)
(*   Reclaim(a, t)             claim a task whose claim expired            *)
(*   ClaimWithLeases(a, t)     claim a pending task, or one whose claim    *)
(*                             expired, and lease every path it touches    *)
(*                             exclusively in the same step                *)
(*   ExhaustAttempts(t)        an expired claim with no attempts left      *)
(*                             fails the task                              *)
(*   RenewClaim(a, t, tok)     extend one's own live claim                 *)
(*   CompleteTask(a, t, tok)   complete a claimed task                     *)
(*   FailTask(a, t, tok)       fail a claimed task (retryable with attempts *)
(*                             left: back to pending)                      *)
(*   CancelTask(t)             cancel a queued task that has not ended     *)
(*   SettleDependents(t)       a failed/cancelled dependency cancels a     *)
(*                             pending dependent, with a reason            *)
(*                                                                         *)
(* The guards the SQL must keep are named operators -- AcqOverlap,        *)
(* AcqLive, ModesConflict, GrantToken, OwnerCheck, TokenCheck, DepsCheck,  *)
(* ReclaimExpired, TouchFree, LeaseTouchFree                               *)
(* -- so that each variant in formal/mutations/ replaces exactly one of   *)
(* them (a TLC definition override, `Op <- MutOp` in its .cfg) and shows   *)
(* that the invariant which depends on that guard can fail.               *)
(*                                                                         *)
(* Invariants, by the IDs of DESIGN.md:                                   *)
(*   INV-LOCK-EXCL       INV_LOCK_EXCL                                     *)
(*   INV-LOCK-FENCE      INV_LOCK_FENCE                                    *)
(*   INV-LOCK-EXPIRY     INV_LOCK_EXPIRY                                   *)
(*   INV-CLAIM-UNIQ      INV_CLAIM_UNIQ                                    *)
(*   INV-COMPLETE-OWNER  INV_COMPLETE_OWNER                                *)
(*   INV-DEPS            INV_DEPS (safety), INV_DEPS_SETTLE (liveness)     *)
(*   INV-RECLAIM         INV_RECLAIM = INV_RECLAIM_LOCK /\                 *)
(*                       INV_RECLAIM_CLAIM (liveness, under Fairness)      *)
(*   INV-CLAIM-TOUCH     INV_CLAIM_TOUCH                                   *)
(* INV-BOUNDARY, INV-AUDIT-COMPLETE, INV-AUDIT-IMMUTABLE, INV-TRUST,       *)
(* INV-POLICY-EQ and INV-RLS are properties of the database layer          *)
(* (privileges, the audit chain, the policy engines, RLS); they are not    *)
(* modelled here.  Locks are modelled in both modes: any number of agents  *)
(* may share overlapping paths; an exclusive grant overlaps no other       *)
(* agent's live grant (the SQL's UNIQUE (path, holder): one row per agent   *)
(* and path).                                                              *)
(*                                                                         *)
(* Touches (change claim_touches): each task declares the paths it edits.  *)
(* A claim is granted only while no other agent holds a live lock (either  *)
(* mode) overlapping one of them; ClaimWithLeases also takes an exclusive  *)
(* lock on every touch in the same step, with fresh fencing tokens, and    *)
(* those locks are renewed with the claim and released when it ends.  The  *)
(* claim actions are the only ones that read and write both the lock and   *)
(* the task state.  Abstraction: a lock row belongs to at most one claim   *)
(* here (the SQL lets two claims of one holder share a row, kept until     *)
(* both end); a holder's own re-grant or release of a claim's row ends the *)
(* claim's hold on it in both.                                             *)
(***************************************************************************)
EXTENDS Naturals, Sequences, FiniteSets

CONSTANTS
    Agents,       \* agent identities (session_user of a coord_agent member)
    Paths,        \* files and directories that can be locked
    Parent,       \* [Paths -> Paths \cup {NoPath}]: the directory holding a path
    NoPath,       \* model value: the parent of a top-level path
    Tasks,        \* task ids
    Deps,         \* [Tasks -> SUBSET Tasks]: a fixed DAG of dependencies
    NoAgent,      \* model value: nobody
    TTL,          \* lease length of locks and claims, in clock ticks
    MaxTime,      \* the modelled horizon of the abstract clock
    MaxGrants,    \* bound on the number of lock grants (model bound only)
    MaxAttempts,  \* attempts per task; then ExhaustAttempts fails it
    Touches       \* [Tasks -> SUBSET Paths]: the paths each task edits

ASSUME /\ TTL \in Nat \ {0}
       /\ MaxTime \in Nat \ {0}
       /\ MaxGrants \in Nat
       /\ MaxAttempts \in Nat \ {0}
       /\ NoAgent \notin Agents
       /\ NoPath \notin Paths
       /\ Parent \in [Paths -> Paths \cup {NoPath}]
       /\ Deps \in [Tasks -> SUBSET Tasks]
       /\ Touches \in [Tasks -> SUBSET Paths]

VARIABLES
    now,        \* the abstract clock, 0..MaxTime
    \* ---- locks ----
    lock,       \* [Paths -> [Agents -> lock row]]: each agent's grant on each
                \*   path (mode, or "none"; fencing token; expiry)
    fence,      \* the global fencing-token counter
    \* ---- tasks ----
    status,     \* [Tasks -> Statuses] ("unsubmitted": not queued yet)
    claimer,    \* [Tasks -> Agents \cup {NoAgent}]: current (or last) claimer
    attempt,    \* [Tasks -> 0..MaxAttempts]: claims granted so far
    claimTok,   \* [Tasks -> 0..MaxAttempts]: token of the current claim
                \*   (= its attempt number)
    claimExp,   \* [Tasks -> Time]: expiry of the current claim
    claimedAt,  \* [Tasks -> Time]: when the current claim was granted
                \*   (claimed_at; a renewed claim keeps it)
    reason,     \* [Tasks -> Reasons]: why a task ended
    holding,    \* [Agents -> [Tasks -> Time]]: the expiry of the claim each
                \*   agent believes it holds (0 = none).  An agent is not told
                \*   when its claim is taken over; it only sees its own lease
                \*   run out.
    leased,     \* [Tasks -> SUBSET LeaseRec]: the locks the current (or last)
                \*   claim of t took with ClaimWithLeases (claim_leases)
    \* ---- ghost / history variables (no SQL counterpart) ----
    grants,     \* Seq of lock grants [path, token], in grant order
    done,       \* set of CompleteTask/FailTask steps with the claim they saw
    ended,      \* [Tasks -> {"none"} \cup Terminal]: first terminal status
    clash       \* [Tasks -> BOOLEAN]: the current claim of t was granted while
                \*   another agent held a live lock overlapping a touch

lockVars  == <<lock, fence, grants>>
claimVars == <<claimer, attempt, claimTok, claimExp, claimedAt>>
taskVars  == <<status, claimVars, reason, holding, done, ended, leased, clash>>
vars      == <<now, lockVars, taskVars>>

-----------------------------------------------------------------------------
(* Types and helpers *)

TaskStatus  == {"pending", "claimed", "completed", "failed", "cancelled"}
Statuses    == TaskStatus \cup {"unsubmitted"}   \* the row does not exist yet
Terminal    == {"completed", "failed", "cancelled"}
Dead        == {"failed", "cancelled"}  \* outcomes that settle dependents
Reasons     == {"none", "retry", "completed", "failed", "attempts_exhausted",
                "cancelled", "dependency_failed"}

Time        == 0..MaxTime
Tokens      == 0..MaxGrants
ClaimTokens == 1..MaxAttempts
Modes       == {"exclusive", "shared"}
NoLock      == [mode |-> "none", token |-> 0, expires |-> 0]
LockRow     == [mode : Modes \cup {"none"}, token : Tokens, expires : Time]
LeaseRec    == [path : Paths, agent : Agents, token : Tokens]

Max(x, y)   == IF x >= y THEN x ELSE y

\* A lease ends TTL ticks from now.  The clock is bounded (MaxTime), so a
\* lease granted near the horizon is truncated to it -- the same as a client
\* asking for a shorter TTL, which the SQL accepts, so no behaviour is added.
LeaseEnd    == IF now + TTL <= MaxTime THEN now + TTL ELSE MaxTime

RECURSIVE AncestorsOf(_)
AncestorsOf(p) == IF Parent[p] = NoPath THEN {}
                  ELSE {Parent[p]} \cup AncestorsOf(Parent[p])

\* Two paths overlap when they are equal or one is a directory above the
\* other: a lock on a directory covers every path beneath it.  (A constant
\* table, which TLC computes once.)
OverlapTable ==
    [p \in Paths |-> [q \in Paths |->
        p = q \/ p \in AncestorsOf(q) \/ q \in AncestorsOf(p)]]
Overlap(p, q) == OverlapTable[p][q]

\* Agent a's row on p is live while it holds a grant that has not reached its
\* expiry.  No step is needed to remove an expired row: every function treats
\* it as absent (INV-LOCK-EXPIRY), and a later grant replaces it.
LockLive(p, a) == lock[p][a].mode # "none" /\ lock[p][a].expires > now
ClaimLive(t) == claimExp[t] > now

\* The lock row a lease record names is still there (its holder has not
\* released or re-granted it: a re-grant draws a new token).
Holds(e) == lock[e.path][e.agent].mode # "none" /\ lock[e.path][e.agent].token = e.token

\* The locks with the leases the current claim of t took released (the rows
\* it still holds).
ReleaseLeases(t) ==
    [p \in Paths |-> [b \in Agents |->
        IF \E e \in leased[t] : e.path = p /\ e.agent = b /\ Holds(e)
        THEN NoLock ELSE lock[p][b]]]

\* The touches of t in the order their fencing tokens are drawn.
TouchOrder(t) ==
    CHOOSE s \in [1..Cardinality(Touches[t]) -> Touches[t]] :
        \A i, j \in DOMAIN s : i # j => s[i] # s[j]

\* Agent b's row at q stands in the way of a claim of t by a: another agent's
\* live row, of either mode (it would conflict with an exclusive lock),
\* overlapping one of t's touches.  Not a guard itself: the ghost `clash`
\* records it, the guards below restate it.
ClaimBlocks(a, t, q, b) ==
    /\ b # a
    /\ lock[q][b].mode # "none"
    /\ lock[q][b].expires > now
    /\ \E p \in Touches[t] : Overlap(p, q)

-----------------------------------------------------------------------------
(* The guards pgcoord's SQL keeps, one named operator each *)

\* AcquireLock: the directory-overlap check.
AcqOverlap(p, q) == Overlap(p, q)

\* AcquireLock: the expiry check -- only a live row blocks (INV-LOCK-EXPIRY).
AcqLive(q, b) == lock[q][b].expires > now

\* AcquireLock: the mode check -- two grants conflict unless both are shared.
ModesConflict(m, n) == m = "exclusive" \/ n = "exclusive"

\* Agent b's row at q blocks agent a from acquiring p in mode m.
AcqBlocks(a, p, m, q, b) ==
    /\ b # a
    /\ lock[q][b].mode # "none"
    /\ AcqOverlap(p, q)
    /\ AcqLive(q, b)
    /\ ModesConflict(m, lock[q][b].mode)

\* The fencing token of a grant: the global counter + 1, strictly greater than
\* every earlier grant (a re-acquire by the holder gets a new token too).
GrantToken(a, p) == fence + 1

\* RenewLock: only the holder, and only while the lock is live.
RenewLockGuard(a, p) == LockLive(p, a)

\* CompleteTask / FailTask: the caller is the current claimer ...
OwnerCheck(a, t) == claimer[t] = a
\* ... and presents the token of the current claim, not an earlier attempt's.
TokenCheck(t, tok) == claimTok[t] = tok

\* ClaimTask / Reclaim: every dependency has completed.
DepsCheck(t) == \A d \in Deps[t] : status[d] = "completed"

\* Reclaim: the current claim has expired.
ReclaimExpired(t) == claimExp[t] <= now

\* ClaimTask / Reclaim: no other agent holds a live lock overlapping a touch
\* (the task is skipped otherwise).
TouchFree(a, t) ==
    \A q \in Paths, b \in Agents :
        ~(b # a /\ lock[q][b].mode # "none" /\ lock[q][b].expires > now
          /\ \E p \in Touches[t] : Overlap(p, q))

\* ClaimWithLeases: the same check, which is also the conflict check of the
\* exclusive locks it takes (stated apart so that a mutation can drop it for
\* leasing claims alone).
LeaseTouchFree(a, t) ==
    \A q \in Paths, b \in Agents :
        ~(b # a /\ lock[q][b].mode # "none" /\ lock[q][b].expires > now
          /\ \E p \in Touches[t] : Overlap(p, q))

-----------------------------------------------------------------------------
Init ==
    /\ now       = 0
    /\ lock      = [p \in Paths |-> [a \in Agents |-> NoLock]]
    /\ fence     = 0
    /\ grants    = << >>
    /\ status    = [t \in Tasks |-> "unsubmitted"]
    /\ claimer   = [t \in Tasks |-> NoAgent]
    /\ attempt   = [t \in Tasks |-> 0]
    /\ claimTok  = [t \in Tasks |-> 0]
    /\ claimExp  = [t \in Tasks |-> 0]
    /\ claimedAt = [t \in Tasks |-> 0]
    /\ reason    = [t \in Tasks |-> "none"]
    /\ holding   = [a \in Agents |-> [t \in Tasks |-> 0]]
    /\ done      = {}
    /\ ended     = [t \in Tasks |-> "none"]
    /\ leased    = [t \in Tasks |-> {}]
    /\ clash     = [t \in Tasks |-> FALSE]

-----------------------------------------------------------------------------
(* Clock *)

\* Time passes.  Expiry is no action: once now reaches a row's expiry the row
\* is ignored (INV-LOCK-EXPIRY); expired lock rows and claims stay in place.
\* An agent's own view (holding) drops the claims whose lease it saw run out.
Tick ==
    /\ now < MaxTime
    /\ now' = now + 1
    /\ holding' = [a \in Agents |-> [t \in Tasks |->
                     IF holding[a][t] > now + 1 THEN holding[a][t] ELSE 0]]
    /\ UNCHANGED <<lockVars, status, claimVars, reason, done, ended, leased, clash>>

-----------------------------------------------------------------------------
(* Locks *)

\* Granted only if no live lock of another agent overlaps p in a conflicting
\* mode (expired rows are absent).  The grant replaces a's row on p (a
\* re-acquire may change the mode), with a new fencing token.
AcquireLock(a, p, m) ==
    /\ Len(grants) < MaxGrants                        \* model bound only
    /\ \A q \in Paths, b \in Agents : ~AcqBlocks(a, p, m, q, b)
    /\ LET tok == GrantToken(a, p) IN
         /\ lock'   = [lock EXCEPT ![p][a] = [mode |-> m, token |-> tok,
                                              expires |-> LeaseEnd]]
         /\ fence'  = Max(fence, tok)
         /\ grants' = Append(grants, [path |-> p, agent |-> a, token |-> tok])
    /\ UNCHANGED <<now, taskVars>>

\* Only the holder of a live lock extends it; an expired lock can't be revived.
RenewLock(a, p) ==
    /\ RenewLockGuard(a, p)
    /\ lock' = [lock EXCEPT ![p][a].expires = LeaseEnd]
    /\ UNCHANGED <<now, fence, grants, taskVars>>

\* Only the holder of a live lock releases it (an expired lock is absent:
\* lock_not_held).
ReleaseLock(a, p) ==
    /\ LockLive(p, a)
    /\ lock' = [lock EXCEPT ![p][a] = NoLock]
    /\ UNCHANGED <<now, fence, grants, taskVars>>

\* An elevated agent releases every lock on exactly p, whoever holds it.
\* Its result is that of the holders' ReleaseLock steps taken one after the
\* other (who may take them is a matter of authorisation, which this model
\* does not cover), so ForceRelease is not a separate disjunct of Next: it
\* would reach no state ReleaseLock steps don't.
ForceRelease(p) ==
    /\ \E a \in Agents : LockLive(p, a)
    /\ lock' = [lock EXCEPT ![p] = [a \in Agents |-> NoLock]]
    /\ UNCHANGED <<now, fence, grants, taskVars>>

-----------------------------------------------------------------------------
(* Tasks *)

\* Queue t.  Its dependencies must exist (be submitted), and a failed or
\* cancelled dependency refuses the submission (dependency_failed).
SubmitTask(t) ==
    /\ status[t] = "unsubmitted"
    /\ \A d \in Deps[t] : status[d] # "unsubmitted"
    /\ \A d \in Deps[t] : status[d] \notin Dead
    /\ status' = [status EXCEPT ![t] = "pending"]
    /\ UNCHANGED <<now, lockVars, claimVars, reason, holding, done, ended, leased, clash>>

\* A new claim of t by a: next attempt, claim token = attempt, lease from now.
\* The ghost clash records whether another agent's live lock overlapped a
\* touch when it was granted.
GrantClaim(a, t) ==
    /\ status'    = [status    EXCEPT ![t] = "claimed"]
    /\ claimer'   = [claimer   EXCEPT ![t] = a]
    /\ attempt'   = [attempt   EXCEPT ![t] = @ + 1]
    /\ claimTok'  = [claimTok  EXCEPT ![t] = attempt[t] + 1]
    /\ claimExp'  = [claimExp  EXCEPT ![t] = LeaseEnd]
    /\ claimedAt' = [claimedAt EXCEPT ![t] = now]
    /\ holding'   = [holding   EXCEPT ![a][t] = LeaseEnd]
    /\ clash'     = [clash     EXCEPT ![t] = \E q \in Paths, b \in Agents : ClaimBlocks(a, t, q, b)]
    /\ UNCHANGED <<now, reason, done, ended>>

ClaimTask(a, t) ==
    /\ status[t] = "pending"
    /\ DepsCheck(t)
    /\ attempt[t] < MaxAttempts
    /\ TouchFree(a, t)
    /\ GrantClaim(a, t)
    /\ leased' = [leased EXCEPT ![t] = {}]
    /\ UNCHANGED lockVars

\* A task whose claim expired is taken over by any agent (the earlier
\* claimer included) with a new attempt and a new token; the locks the
\* expired claim took are released.
Reclaim(a, t) ==
    /\ status[t] = "claimed"
    /\ ReclaimExpired(t)
    /\ DepsCheck(t)
    /\ attempt[t] < MaxAttempts
    /\ TouchFree(a, t)
    /\ GrantClaim(a, t)
    /\ lock'   = ReleaseLeases(t)
    /\ leased' = [leased EXCEPT ![t] = {}]
    /\ UNCHANGED <<fence, grants>>

\* Claim t (pending, or its claim expired: then the expired claim's locks are
\* released) and take an exclusive lock on every path it touches, all in one
\* step: a fresh fencing token each, expiring with the claim.  Granted only if
\* no other agent holds a live lock overlapping a touch (all or nothing).
ClaimWithLeases(a, t) ==
    /\ \/ status[t] = "pending"
       \/ status[t] = "claimed" /\ ReclaimExpired(t)
    /\ DepsCheck(t)
    /\ attempt[t] < MaxAttempts
    /\ Touches[t] # {}
    /\ Len(grants) + Cardinality(Touches[t]) <= MaxGrants   \* model bound only
    /\ LeaseTouchFree(a, t)
    /\ LET seq  == TouchOrder(t)
           n    == Len(seq)
           rest == ReleaseLeases(t)
           tok(p) == fence + (CHOOSE i \in 1..n : seq[i] = p)
       IN /\ lock'   = [p \in Paths |-> [b \in Agents |->
                         IF b = a /\ p \in Touches[t]
                         THEN [mode |-> "exclusive", token |-> tok(p), expires |-> LeaseEnd]
                         ELSE rest[p][b]]]
          /\ fence'  = fence + n
          /\ grants' = grants \o [i \in 1..n |-> [path |-> seq[i], agent |-> a, token |-> fence + i]]
          /\ leased' = [leased EXCEPT ![t] =
                          {[path |-> p, agent |-> a, token |-> tok(p)] : p \in Touches[t]}]
    /\ GrantClaim(a, t)

\* The current claim expired and no attempts are left: the task fails.
ExhaustAttempts(t) ==
    /\ status[t] = "claimed"
    /\ ~ClaimLive(t)
    /\ attempt[t] >= MaxAttempts
    /\ status' = [status EXCEPT ![t] = "failed"]
    /\ reason' = [reason EXCEPT ![t] = "attempts_exhausted"]
    /\ ended'  = [ended  EXCEPT ![t] = IF @ = "none" THEN "failed" ELSE @]
    /\ claimExp' = [claimExp EXCEPT ![t] = 0]
    /\ lock'     = ReleaseLeases(t)
    /\ UNCHANGED <<now, fence, grants, claimer, attempt, claimTok, claimedAt,
                   holding, done, leased, clash>>

\* tok ranges over the tokens issued for t so far (1..attempt[t]): an agent
\* may present a stale token -- remembered from an earlier attempt, its own or
\* another agent's -- so a stale renewal or completion after a reclaim is an
\* attempt that the guards must refuse.

\* The holder of the current, live claim extends it.
RenewClaim(a, t, tok) ==
    /\ tok <= attempt[t]
    /\ status[t] = "claimed"
    /\ claimer[t] = a
    /\ claimTok[t] = tok
    /\ ClaimLive(t)
    /\ claimExp' = [claimExp EXCEPT ![t] = LeaseEnd]
    /\ holding'  = [holding  EXCEPT ![a][t] = LeaseEnd]
    \* the locks the claim took and still holds live are renewed with it (an
    \* expired one is not revived)
    /\ lock' = [p \in Paths |-> [b \in Agents |->
                  IF /\ \E e \in leased[t] : e.path = p /\ e.agent = b /\ Holds(e)
                     /\ lock[p][b].expires > now
                  THEN [lock[p][b] EXCEPT !.expires = LeaseEnd]
                  ELSE lock[p][b]]]
    /\ UNCHANGED <<now, fence, grants, status, claimer, attempt, claimTok,
                   claimedAt, reason, done, ended, leased, clash>>

\* Complete or fail t (to status s).  The step is recorded in the ghost `done`
\* with the claim it acted on, so INV_COMPLETE_OWNER can judge it afterwards.
\* The claim ends (claim_expires_at is cleared).
Finish(a, t, tok, s) ==
    /\ status'  = [status  EXCEPT ![t] = s]
    /\ reason'  = [reason  EXCEPT ![t] = IF s \in Terminal THEN s ELSE "retry"]
    /\ holding' = [holding EXCEPT ![a][t] = 0]
    /\ done'    = done \cup {[task |-> t, agent |-> a, token |-> tok, to |-> s,
                              from |-> status[t], owner |-> claimer[t],
                              current |-> claimTok[t], live |-> ClaimLive(t)]}
    /\ ended'   = [ended EXCEPT ![t] = IF @ = "none" /\ s \in Terminal THEN s ELSE @]
    \* the claim ends; a retried task has no claimer until it is claimed again
    /\ claimExp' = [claimExp EXCEPT ![t] = 0]
    /\ claimer'  = IF s = "pending" THEN [claimer EXCEPT ![t] = NoAgent]
                                    ELSE claimer
    \* the locks the claim took end with it
    /\ lock'     = ReleaseLeases(t)
    /\ UNCHANGED <<now, fence, grants, attempt, claimTok, claimedAt, leased, clash>>

CompleteTask(a, t, tok) ==
    /\ tok <= attempt[t]
    /\ status[t] = "claimed"
    /\ OwnerCheck(a, t)
    /\ TokenCheck(t, tok)
    /\ ClaimLive(t)
    /\ Finish(a, t, tok, "completed")

\* Fail t.  A retryable failure with attempts left puts t back to pending
\* (its claim ends; the next claim is a new attempt with a new token);
\* otherwise t fails for good.
FailTask(a, t, tok) ==
    /\ tok <= attempt[t]
    /\ status[t] = "claimed"
    /\ OwnerCheck(a, t)
    /\ TokenCheck(t, tok)
    /\ ClaimLive(t)
    /\ \E retryable \in BOOLEAN :
          IF retryable /\ attempt[t] < MaxAttempts
          THEN Finish(a, t, tok, "pending")
          ELSE Finish(a, t, tok, "failed")

\* The submitter or an elevated agent cancels a queued task that has not
\* ended.
CancelTask(t) ==
    /\ status[t] \in {"pending", "claimed"}
    /\ status' = [status EXCEPT ![t] = "cancelled"]
    /\ reason' = [reason EXCEPT ![t] = "cancelled"]
    /\ ended'  = [ended  EXCEPT ![t] = IF @ = "none" THEN "cancelled" ELSE @]
    /\ claimExp' = [claimExp EXCEPT ![t] = 0]
    /\ lock'     = ReleaseLeases(t)
    /\ UNCHANGED <<now, fence, grants, claimer, attempt, claimTok, claimedAt,
                   holding, done, leased, clash>>

\* A failed or cancelled dependency settles a pending dependent: cancelled,
\* with reason "dependency_failed" (INV-DEPS).
SettleDependents(t) ==
    /\ status[t] = "pending"
    /\ \E d \in Deps[t] : status[d] \in Dead
    /\ status' = [status EXCEPT ![t] = "cancelled"]
    /\ reason' = [reason EXCEPT ![t] = "dependency_failed"]
    /\ ended'  = [ended  EXCEPT ![t] = IF @ = "none" THEN "cancelled" ELSE @]
    /\ UNCHANGED <<now, lockVars, claimVars, holding, done, leased, clash>>

-----------------------------------------------------------------------------
(* The next-state relation.  The lock and task halves share only the clock, *)
(* except through the claims of tasks with touches (ClaimTask, Reclaim and  *)
(* ClaimWithLeases read the locks; ClaimWithLeases, Reclaim and the ends of *)
(* a claim write them): MCCoordination checks those from a start of their   *)
(* own.                                                                     *)

LockNext ==
    \/ \E a \in Agents, p \in Paths, m \in Modes : AcquireLock(a, p, m)
    \/ \E a \in Agents, p \in Paths : RenewLock(a, p)
    \/ \E a \in Agents, p \in Paths : ReleaseLock(a, p)

TaskNext ==
    \/ \E t \in Tasks : SubmitTask(t)
    \/ \E a \in Agents, t \in Tasks : ClaimTask(a, t)
    \/ \E a \in Agents, t \in Tasks : Reclaim(a, t)
    \/ \E a \in Agents, t \in Tasks : ClaimWithLeases(a, t)
    \/ \E t \in Tasks : ExhaustAttempts(t)
    \/ \E a \in Agents, t \in Tasks, tok \in ClaimTokens : RenewClaim(a, t, tok)
    \/ \E a \in Agents, t \in Tasks, tok \in ClaimTokens : CompleteTask(a, t, tok)
    \/ \E a \in Agents, t \in Tasks, tok \in ClaimTokens : FailTask(a, t, tok)
    \/ \E t \in Tasks : CancelTask(t)
    \/ \E t \in Tasks : SettleDependents(t)

Next == Tick \/ LockNext \/ TaskNext

\* The steps that take an expired claim over or settle a task.
Settling(t) ==
    \/ \E a \in Agents : Reclaim(a, t)
    \/ ExhaustAttempts(t)
    \/ SettleDependents(t)

\* Explicit fairness for INV-RECLAIM and INV-DEPS: time keeps passing (weak
\* fairness of Tick: that is expiry), and a task whose claim expired, or whose
\* dependency died, is eventually taken over or settled (weak fairness of
\* claiming).  Nothing forces an agent to renew, release, complete or fail:
\* a holder may stop at any moment.
Fairness ==
    /\ WF_vars(Tick)
    /\ \A t \in Tasks : WF_vars(Settling(t))

Spec == Init /\ [][Next]_vars /\ Fairness

-----------------------------------------------------------------------------
(* Safety invariants *)

TypeOK ==
    /\ now \in Time
    /\ lock \in [Paths -> [Agents -> LockRow]]
    /\ fence \in Tokens
    /\ grants \in Seq([path : Paths, agent : Agents, token : Tokens])
    /\ Len(grants) <= MaxGrants
    /\ status \in [Tasks -> Statuses]
    /\ claimer \in [Tasks -> Agents \cup {NoAgent}]
    /\ attempt \in [Tasks -> 0..MaxAttempts]
    /\ claimTok \in [Tasks -> 0..MaxAttempts]
    /\ claimExp \in [Tasks -> Time]
    /\ claimedAt \in [Tasks -> Time]
    /\ reason \in [Tasks -> Reasons]
    /\ holding \in [Agents -> [Tasks -> Time]]
    /\ \A r \in done : r.task \in Tasks /\ r.agent \in Agents
                       /\ r.to \in Terminal \cup {"pending"}
    /\ ended \in [Tasks -> {"none"} \cup Terminal]
    /\ \A t \in Tasks : status[t] = "claimed" => claimer[t] \in Agents
    /\ leased \in [Tasks -> SUBSET LeaseRec]
    /\ clash \in [Tasks -> BOOLEAN]

\* INV-LOCK-EXCL: two live locks of different agents that cover a common path
\* (a directory lock covers everything beneath it) are both shared: an
\* exclusive lock overlaps no other agent's live lock.  An agent's own nested
\* locks do not conflict with each other.
INV_LOCK_EXCL ==
    \A p, q \in Paths, a, b \in Agents :
        (a # b /\ LockLive(p, a) /\ LockLive(q, b) /\ Overlap(p, q))
            => lock[p][a].mode = "shared" /\ lock[q][b].mode = "shared"

\* INV-LOCK-FENCE: every grant's fencing token is strictly greater than that
\* of every earlier grant of the same path (indeed of any overlapping path,
\* shared grants included), and a held row carries the token of the latest
\* grant of its path to its agent.
INV_LOCK_FENCE ==
    /\ \A i, j \in 1..Len(grants) :
          (i < j /\ Overlap(grants[i].path, grants[j].path))
             => grants[i].token < grants[j].token
    /\ \A p \in Paths, a \in Agents :
          lock[p][a].mode # "none" =>
             \E i \in 1..Len(grants) :
                /\ grants[i].path = p /\ grants[i].agent = a
                /\ grants[i].token = lock[p][a].token
                /\ \A j \in (i + 1)..Len(grants) :
                      ~(grants[j].path = p /\ grants[j].agent = a)

\* INV-LOCK-EXPIRY: a lock past its expiry is treated as absent -- it blocks
\* no acquisition and can't be renewed -- with no action needed to remove it.
INV_LOCK_EXPIRY ==
    \A q \in Paths, b \in Agents :
        lock[q][b].expires <= now =>
            /\ \A a \in Agents, p \in Paths, m \in Modes : ~AcqBlocks(a, p, m, q, b)
            /\ ~RenewLockGuard(b, q)

\* INV-CLAIM-UNIQ: a task is claimed by at most one agent at a time -- no two
\* agents both hold an unexpired claim of it, and an agent that holds an
\* unexpired claim of a claimed task is its recorded claimer.
INV_CLAIM_UNIQ ==
    \A t \in Tasks :
        /\ \A a, b \in Agents :
              (a # b /\ holding[a][t] > now) => holding[b][t] <= now
        /\ \A a \in Agents :
              (status[t] = "claimed" /\ holding[a][t] > now) => claimer[t] = a

\* INV-COMPLETE-OWNER: only the current claimer, presenting the current claim
\* token while the claim is live, completes or fails a task (so an earlier
\* claimer can't complete a reclaimed task), and a terminal task never
\* changes state again.
INV_COMPLETE_OWNER ==
    /\ \A r \in done :
          /\ r.from = "claimed"
          /\ r.agent = r.owner
          /\ r.token = r.current
          /\ r.live
    /\ \A t \in Tasks : ended[t] # "none" => status[t] = ended[t]

\* INV-DEPS: a queued task's dependencies exist; a task is never claimed (so
\* never completed or failed through a claim) before all its dependencies
\* completed; a task settled for a dependency has a failed or cancelled
\* dependency, and says so.
INV_DEPS ==
    \A t \in Tasks :
        /\ status[t] # "unsubmitted" => \A d \in Deps[t] : status[d] # "unsubmitted"
        /\ status[t] \in {"claimed", "completed", "failed"}
              => \A d \in Deps[t] : status[d] = "completed"
        /\ reason[t] = "dependency_failed"
              => /\ status[t] = "cancelled"
                 /\ \E d \in Deps[t] : status[d] \in Dead

\* INV-CLAIM-TOUCH: no claim was granted while another agent held a live
\* lock overlapping one of the task's touches; a lock taken with a claim
\* (and still held by its holder) exists only while that claim is its task's
\* current claim: it ends with the claim.  (While the claim holds them its
\* locks are exclusive, so INV_LOCK_EXCL keeps every other agent's
\* overlapping lock away.)
INV_CLAIM_TOUCH ==
    /\ \A t \in Tasks : ~clash[t]
    /\ \A t \in Tasks : \A e \in leased[t] :
          Holds(e) => status[t] = "claimed" /\ claimer[t] = e.agent

Safety ==
    /\ TypeOK
    /\ INV_LOCK_EXCL
    /\ INV_LOCK_FENCE
    /\ INV_LOCK_EXPIRY
    /\ INV_CLAIM_UNIQ
    /\ INV_COMPLETE_OWNER
    /\ INV_DEPS
    /\ INV_CLAIM_TOUCH

-----------------------------------------------------------------------------
(* Liveness *)

\* Agent a's row at p blocks no agent from acquiring any path in any mode.
LockReclaimable(p, a) ==
    \A b \in Agents, q \in Paths, m \in Modes : ~AcqBlocks(b, q, m, p, a)

\* INV-RECLAIM: a claim or lock whose holder stops renewing becomes
\* reclaimable after its TTL.  Renewal is bounded by the clock's horizon, so
\* every holder eventually stops renewing; then, under Fairness,
\*   - a live lock eventually blocks nobody (it expired or was released);
\*   - a claimed task's claim eventually expires (or the task ends);
\*   - an expired claim is eventually taken over by a new live claim
\*     (Reclaim), or the task is settled (ExhaustAttempts, CancelTask).
\* (One leads-to per path and per task: TLC checks a tableau branch for each.)
INV_RECLAIM_LOCK ==      \* INV-RECLAIM, locks
    \A p \in Paths, a \in Agents : LockLive(p, a) ~> LockReclaimable(p, a)

INV_RECLAIM_CLAIM ==     \* INV-RECLAIM, claims
    /\ \A t \in Tasks :
          (status[t] = "claimed") ~> (status[t] # "claimed" \/ ~ClaimLive(t))
    /\ \A t \in Tasks :
          (status[t] = "claimed" /\ ~ClaimLive(t))
             ~> (status[t] # "claimed" \/ ClaimLive(t))

INV_RECLAIM == INV_RECLAIM_LOCK /\ INV_RECLAIM_CLAIM

\* INV-DEPS (liveness): a pending task with a failed or cancelled dependency
\* is eventually settled as cancelled.
INV_DEPS_SETTLE ==
    \A t \in Tasks :
        (status[t] = "pending" /\ \E d \in Deps[t] : status[d] \in Dead)
            ~> (status[t] = "cancelled")

=============================================================================
