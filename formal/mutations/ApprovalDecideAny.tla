-------------------- MODULE ApprovalDecideAny --------------------
(***************************************************************************)
(* Mutation ApprovalDecideAny: TLC must report INV_APPROVAL                *)
(* (an invariant) violated.                                                *)
(*                                                                         *)
(* The pending check on approve/reject is dropped: an approver decides a   *)
(* request that was already granted, rejected, used or expired: two        *)
(* approvers both grant one request, or one grants what another rejected.  *)
(*                                                                         *)
(* The .cfg is MCApprovals.cfg plus the definition override                *)
(* `GrantPending <- ApprovalDecideAny_GrantPending`, which replaces that   *)
(* one definition of Approvals.tla everywhere it is used.                  *)
(***************************************************************************)
EXTENDS MCApprovals

ApprovalDecideAny_GrantPending(id) == TRUE

=============================================================================
