-------------------- MODULE NoTokenCheck --------------------
(***************************************************************************)
(* Mutation NoTokenCheck: TLC must report INV_COMPLETE_OWNER (an           *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The token check after reclaim is removed: CompleteTask and FailTask     *)
(* accept any token issued for the task, so once a claim expired and was   *)
(* reclaimed (here by the same agent) the stale token of the earlier       *)
(* attempt still completes the task.                                       *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `TokenCheck *)
(* <- NoTokenCheck_TokenCheck`, which replaces that one definition of      *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoTokenCheck_TokenCheck(t, tok) == TRUE

=============================================================================
