-------------------- MODULE LeasesOutliveClaim --------------------
(***************************************************************************)
(* Mutation LeasesOutliveClaim: TLC must report INV_CLAIM_TOUCH (an        *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The end of a claim (completion, failure, cancellation, exhaustion,      *)
(* takeover) no longer releases the locks the claim took: they outlive it. *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override            *)
(* `ReleaseLeases <- LeasesOutliveClaim_ReleaseLeases`.                    *)
(***************************************************************************)
EXTENDS MCCoordination

LeasesOutliveClaim_ReleaseLeases(t) == lock

=============================================================================
