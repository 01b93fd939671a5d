-------------------- MODULE ApprovalExpiredUse --------------------
(***************************************************************************)
(* Mutation ApprovalExpiredUse: TLC must report INV_APPROVAL               *)
(* (an invariant) violated.                                                *)
(*                                                                         *)
(* The expiry check on use is dropped: a grant past its expiry that Expire *)
(* has not marked yet is used.                                             *)
(*                                                                         *)
(* The .cfg is MCApprovals.cfg plus the definition override                *)
(* `UseLive <- ApprovalExpiredUse_UseLive`, which replaces that one        *)
(* definition of Approvals.tla everywhere it is used.                      *)
(***************************************************************************)
EXTENDS MCApprovals

ApprovalExpiredUse_UseLive(id) == TRUE

=============================================================================
