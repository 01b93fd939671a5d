-------------------- MODULE NoOwnerCheck --------------------
(***************************************************************************)
(* Mutation NoOwnerCheck: TLC must report INV_COMPLETE_OWNER (an           *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The owner check on complete is removed: CompleteTask and FailTask no    *)
(* longer require the caller to be the current claimer, so an agent that   *)
(* never claimed the task completes it by presenting the current token.    *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `OwnerCheck *)
(* <- NoOwnerCheck_OwnerCheck`, which replaces that one definition of      *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoOwnerCheck_OwnerCheck(a, t) == TRUE

=============================================================================
