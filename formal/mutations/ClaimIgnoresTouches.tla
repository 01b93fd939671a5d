-------------------- MODULE ClaimIgnoresTouches --------------------
(***************************************************************************)
(* Mutation ClaimIgnoresTouches: TLC must report INV_CLAIM_TOUCH (an       *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* ClaimTask and Reclaim no longer skip a task whose touches overlap       *)
(* another agent's live lock: the task is claimed beside it.               *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override            *)
(* `TouchFree <- ClaimIgnoresTouches_TouchFree`.                           *)
(***************************************************************************)
EXTENDS MCCoordination

ClaimIgnoresTouches_TouchFree(a, t) == TRUE

=============================================================================
