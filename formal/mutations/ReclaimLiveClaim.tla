-------------------- MODULE ReclaimLiveClaim --------------------
(***************************************************************************)
(* Mutation ReclaimLiveClaim: TLC must report INV_CLAIM_UNIQ (an           *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The expiry check on reclaim is removed: Reclaim takes over a claim that *)
(* is still live, so two agents hold an unexpired claim of one task.       *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override             *)
(* `ReclaimExpired <- ReclaimLiveClaim_ReclaimExpired`, which replaces     *)
(* that one definition of Coordination.tla everywhere it is used.          *)
(***************************************************************************)
EXTENDS MCCoordination

ReclaimLiveClaim_ReclaimExpired(t) == TRUE

=============================================================================
