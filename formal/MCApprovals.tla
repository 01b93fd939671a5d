---------------------------- MODULE MCApprovals ----------------------------
(***************************************************************************)
(* Model-checking module for Approvals: the specification and the small    *)
(* values the .cfg files check.                                            *)
(*                                                                         *)
(*   MCApprovals.cfg   CI: agents a1, a2; approvers a2 (an agent trusted   *)
(*                     to approve, so NotSelf matters for its own          *)
(*                     requests) and h1 (a coord_admin member who makes    *)
(*                     no calls); one operation, two argument values, two  *)
(*                     request rows, one policy change, clock 0..3         *)
(*                                                                         *)
(* The mutations in formal/mutations/Approval*.tla extend this module.     *)
(***************************************************************************)
EXTENDS Approvals, TLC

MC_Spec == Spec

=============================================================================
