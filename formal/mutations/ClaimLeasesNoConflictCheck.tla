-------------------- MODULE ClaimLeasesNoConflictCheck --------------------
(***************************************************************************)
(* Mutation ClaimLeasesNoConflictCheck: TLC must report INV_LOCK_EXCL (an  *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The conflict check of ClaimWithLeases is removed: the claim takes its   *)
(* exclusive locks whatever other agents hold over its touches (an acquire *)
(* without the conflict search), so another agent's live lock overlaps one *)
(* of them.                                                                *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override            *)
(* `LeaseTouchFree <- ClaimLeasesNoConflictCheck_LeaseTouchFree`.           *)
(***************************************************************************)
EXTENDS MCCoordination

ClaimLeasesNoConflictCheck_LeaseTouchFree(a, t) == TRUE

=============================================================================
