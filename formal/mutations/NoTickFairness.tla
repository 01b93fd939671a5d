-------------------- MODULE NoTickFairness --------------------
(***************************************************************************)
(* Mutation NoTickFairness: TLC must report INV_RECLAIM (a temporal        *)
(* property) violated.                                                     *)
(*                                                                         *)
(* Weak fairness of Tick -- time keeps passing, so leases expire -- is     *)
(* dropped from Fairness. A behaviour may then stop the clock while a lock *)
(* or claim is live, which never becomes reclaimable: INV_RECLAIM is not   *)
(* vacuous and rests on the fairness of expiry. The .cfg checks            *)
(* INV_RECLAIM as its only temporal property, so 'Temporal properties were *)
(* violated' can only mean INV_RECLAIM.                                    *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `Fairness   *)
(* <- NoTickFairness_Fairness`, which replaces that one definition of      *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoTickFairness_Fairness == \A t \in Tasks : WF_vars(Settling(t))

=============================================================================
