--------------------------- MODULE MCCoordination ---------------------------
(***************************************************************************)
(* Model-checking module for Coordination: small values for the constants *)
(* and the specification the .cfg files check.                           *)
(*                                                                         *)
(*   MCCoordination.cfg          CI: MC_Spec, 2 agents, a directory with  *)
(*                               two files, 2 tasks (one dependency)       *)
(*   MCCoordination_deep.cfg     MC_Spec with a nested                    *)
(*                               directory, 3 tasks, longer clock          *)
(*   MCCoordination_product.cfg  the unsplit Spec (locks and tasks         *)
(*                               interleaved), small constants             *)
(*                                                                         *)
(* Why MC_Spec is split.  In Coordination the lock half (lock, fence,     *)
(* grants) and the task half (status, claims, holding, ...) share only    *)
(* the clock `now`: no action reads or writes both halves, each invariant *)
(* is a conjunction of a lock-and-clock part and a task-and-clock part,   *)
(* and each liveness property and fairness condition mentions one half    *)
(* and the clock.  Checking the interleaving of the halves therefore      *)
(* multiplies the state space (thousands times thousands) without         *)
(* checking anything more.  MC_Spec runs the same Next and Fairness from  *)
(* two starting states instead of Init, both reachable from Init at time  *)
(* 0 (so every state MC_Spec reaches is a reachable state of Spec):       *)
(*   LocksStart  every task was submitted and cancelled: no task action   *)
(*               is enabled again, the lock half is free;                 *)
(*   TasksStart  the grant budget was spent (AcquireLock then ReleaseLock *)
(*               MaxGrants times): no lock action is enabled again, the   *)
(*               task half is free.                                        *)
(* The two runs together cover every reachable state of each half at      *)
(* every clock value, so a safety or liveness violation of Spec by the    *)
(* halves' own actions shows up as one of MC_Spec.                         *)
(* MCCoordination_product.cfg checks Spec itself.                          *)
(*                                                                         *)
(* Claims of tasks with touches couple the halves (ClaimTask, Reclaim and  *)
(* ClaimWithLeases read the locks; ClaimWithLeases, Reclaim and the end of *)
(* a claim write them).  In LocksStart no task moves and in TasksStart no  *)
(* lock is ever taken, so a third start checks the coupling:              *)
(*   ClaimsStart every task was submitted and all but "gen" (which touches *)
(*               the directory) cancelled, one grant spent, and the clock  *)
(*               moved to 2: agents take, renew and release locks while    *)
(*               "gen" is claimed -- with or without leases, skipped,      *)
(*               taken over at 3, completed, failed, cancelled, exhausted. *)
(* The budget and the late start keep it to about 28,000 states; renewals  *)
(* there extend nothing (every lease already ends at MaxTime), and claims  *)
(* of two tasks at once or with several touches are left to the deep and   *)
(* product configurations and to the SQL's own tests.                      *)
(***************************************************************************)
EXTENDS Coordination, TLC

\* Paths: a directory "src" with two files beneath it.  "src/a" and "src/b"
\* don't overlap each other; both overlap "src".
MC_Paths  == {"src", "src/a", "src/b"}
MC_Parent == [p \in MC_Paths |-> IF p = "src" THEN NoPath ELSE "src"]

\* Product run: a directory and one file beneath it.
MC_PairPaths  == {"src", "src/a"}
MC_PairParent == [p \in MC_PairPaths |-> IF p = "src" THEN NoPath ELSE "src"]

\* Deep run: a nested directory as well ("src/lib" is a directory holding
\* "src/lib/x"; a lock on "src" covers all four).
MC_DeepPaths  == {"src", "src/a", "src/lib", "src/lib/x"}
MC_DeepParent == [p \in MC_DeepPaths |->
                    CASE p = "src"       -> NoPath
                      [] p = "src/lib/x" -> "src/lib"
                      [] OTHER           -> "src"]

\* Tasks: "build" depends on "gen".
MC_Tasks == {"gen", "build"}
MC_Deps  == [t \in MC_Tasks |-> IF t = "build" THEN {"gen"} ELSE {}]

\* Touches: "gen" edits the directory (so it overlaps every lock), "build" one file.
MC_Touches == [t \in MC_Tasks |-> IF t = "gen" THEN {"src"} ELSE {"src/b"}]

\* Product run: "gen" touches the directory.
MC_PairTouches == [t \in MC_Tasks |-> IF t = "gen" THEN {"src"} ELSE {"src/a"}]

\* Deep run: "test" depends on both (a DAG with a transitive edge).
MC_DeepTasks == {"gen", "build", "test"}
MC_DeepDeps  == [t \in MC_DeepTasks |->
                    CASE t = "build" -> {"gen"}
                      [] t = "test"  -> {"gen", "build"}
                      [] OTHER       -> {}]

\* Deep run: "gen" edits the library, "test" the file beneath it.
MC_DeepTouches == [t \in MC_DeepTasks |->
                      CASE t = "gen"  -> {"src/lib"}
                        [] t = "test" -> {"src/lib/x"}
                        [] OTHER      -> {}]

-----------------------------------------------------------------------------
(* The split specification (see above). *)

\* Init, then SubmitTask(t) and CancelTask(t) for every task (dependencies
\* first).
LocksStart ==
    /\ now       = 0
    /\ lock      = [p \in Paths |-> [a \in Agents |-> NoLock]]
    /\ fence     = 0
    /\ grants    = << >>
    /\ status    = [t \in Tasks |-> "cancelled"]
    /\ claimer   = [t \in Tasks |-> NoAgent]
    /\ attempt   = [t \in Tasks |-> 0]
    /\ claimTok  = [t \in Tasks |-> 0]
    /\ claimExp  = [t \in Tasks |-> 0]
    /\ claimedAt = [t \in Tasks |-> 0]
    /\ reason    = [t \in Tasks |-> "cancelled"]
    /\ holding   = [a \in Agents |-> [t \in Tasks |-> 0]]
    /\ done      = {}
    /\ ended     = [t \in Tasks |-> "cancelled"]
    /\ leased    = [t \in Tasks |-> {}]
    /\ clash     = [t \in Tasks |-> FALSE]

\* Init, then MaxGrants times AcquireLock(a, p) and ReleaseLock(a, p), for
\* some agent a and one path p, at time 0.
TasksStart ==
    /\ now       = 0
    /\ lock      = [p \in Paths |-> [a \in Agents |-> NoLock]]
    /\ fence     = MaxGrants
    /\ grants    = [i \in 1..MaxGrants |->
                      [path |-> CHOOSE p \in Paths : TRUE,
                       agent |-> CHOOSE a \in Agents : TRUE, token |-> i]]
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

\* Init, then at time 0 SubmitTask(t) for every task, CancelTask(t) for every
\* task but "gen" (which has no dependency), MaxGrants - 2 times AcquireLock
\* and ReleaseLock by one agent on one path, then Tick twice.
ClaimsStart ==
    LET a1 == CHOOSE a \in Agents : TRUE IN
    /\ now       = 2
    /\ lock      = [p \in Paths |-> [a \in Agents |-> NoLock]]
    /\ fence     = MaxGrants - 2
    /\ grants    = [i \in 1..(MaxGrants - 2) |->
                      [path |-> CHOOSE p \in Paths : TRUE, agent |-> a1, token |-> i]]
    /\ status    = [t \in Tasks |-> IF t = "gen" THEN "pending" ELSE "cancelled"]
    /\ claimer   = [t \in Tasks |-> NoAgent]
    /\ attempt   = [t \in Tasks |-> 0]
    /\ claimTok  = [t \in Tasks |-> 0]
    /\ claimExp  = [t \in Tasks |-> 0]
    /\ claimedAt = [t \in Tasks |-> 0]
    /\ reason    = [t \in Tasks |-> IF t = "gen" THEN "none" ELSE "cancelled"]
    /\ holding   = [a \in Agents |-> [t \in Tasks |-> 0]]
    /\ done      = {}
    /\ ended     = [t \in Tasks |-> IF t = "gen" THEN "none" ELSE "cancelled"]
    /\ leased    = [t \in Tasks |-> {}]
    /\ clash     = [t \in Tasks |-> FALSE]

MC_Init == LocksStart \/ TasksStart \/ ClaimsStart

MC_Spec == MC_Init /\ [][Next]_vars /\ Fairness

=============================================================================
