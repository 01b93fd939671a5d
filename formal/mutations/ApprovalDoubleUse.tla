-------------------- MODULE ApprovalDoubleUse --------------------
(***************************************************************************)
(* Mutation ApprovalDoubleUse: TLC must report INV_APPROVAL                *)
(* (an invariant) violated.                                                *)
(*                                                                         *)
(* The single-use check is dropped: Use accepts a row that is granted or   *)
(* already used (the use no longer has to find it still granted), so the   *)
(* requester makes the same call twice on one grant.                       *)
(*                                                                         *)
(* The .cfg is MCApprovals.cfg plus the definition override                *)
(* `UseUnused <- ApprovalDoubleUse_UseUnused`, which replaces that one     *)
(* definition of Approvals.tla everywhere it is used.                      *)
(***************************************************************************)
EXTENDS MCApprovals

ApprovalDoubleUse_UseUnused(id) == requests[id].state \in {"granted", "used"}

=============================================================================
