-------------------- MODULE ApprovalAnyPolicy --------------------
(***************************************************************************)
(* Mutation ApprovalAnyPolicy: TLC must report INV_APPROVAL                *)
(* (an invariant) violated.                                                *)
(*                                                                         *)
(* The policy version is dropped from the binding: a grant given under     *)
(* the old policy is used after a PolicyChange.                            *)
(*                                                                         *)
(* The .cfg is MCApprovals.cfg plus the definition override                *)
(* `UseMatches <- ApprovalAnyPolicy_UseMatches`, which replaces that one   *)
(* definition of Approvals.tla everywhere it is used.                      *)
(***************************************************************************)
EXTENDS MCApprovals

ApprovalAnyPolicy_UseMatches(a, op, x, id) ==
    /\ requests[id].requester = a
    /\ requests[id].op = op
    /\ requests[id].args = x

=============================================================================
