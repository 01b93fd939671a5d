-------------------- MODULE ApprovalSelfGrant --------------------
(***************************************************************************)
(* Mutation ApprovalSelfGrant: TLC must report INV_APPROVAL                *)
(* (an invariant) violated.                                                *)
(*                                                                         *)
(* The requester check on approve/reject is dropped: an approver that is   *)
(* also an agent (a2) grants its own request.                              *)
(*                                                                         *)
(* The .cfg is MCApprovals.cfg plus the definition override                *)
(* `NotSelf <- ApprovalSelfGrant_NotSelf`, which replaces that one         *)
(* definition of Approvals.tla everywhere it is used.                      *)
(***************************************************************************)
EXTENDS MCApprovals

ApprovalSelfGrant_NotSelf(ap, id) == TRUE

=============================================================================
