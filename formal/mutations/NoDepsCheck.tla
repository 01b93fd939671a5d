-------------------- MODULE NoDepsCheck --------------------
(***************************************************************************)
(* Mutation NoDepsCheck: TLC must report INV_DEPS (an invariant) violated. *)
(*                                                                         *)
(* The dependency check on claim is removed: ClaimTask and Reclaim no      *)
(* longer require every dependency to have completed, so a dependent task  *)
(* is claimed while its dependency is still pending.                       *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `DepsCheck  *)
(* <- NoDepsCheck_DepsCheck`, which replaces that one definition of        *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoDepsCheck_DepsCheck(t) == TRUE

=============================================================================
