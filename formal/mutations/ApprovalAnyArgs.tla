-------------------- MODULE ApprovalAnyArgs --------------------
(***************************************************************************)
(* Mutation ApprovalAnyArgs: TLC must report INV_APPROVAL                  *)
(* (an invariant) violated.                                                *)
(*                                                                         *)
(* The arguments are dropped from the binding: Use matches requester,      *)
(* operation and policy version only, so a grant for one (resource, args)  *)
(* lets the requester make the call with others.                           *)
(*                                                                         *)
(* The .cfg is MCApprovals.cfg plus the definition override                *)
(* `UseMatches <- ApprovalAnyArgs_UseMatches`, which replaces that one     *)
(* definition of Approvals.tla everywhere it is used.                      *)
(***************************************************************************)
EXTENDS MCApprovals

ApprovalAnyArgs_UseMatches(a, op, x, id) ==
    /\ requests[id].requester = a
    /\ requests[id].op = op
    /\ requests[id].policy = policy

=============================================================================
