-------------------- MODULE NoOverlapCheck --------------------
(***************************************************************************)
(* Mutation NoOverlapCheck: TLC must report INV_LOCK_EXCL (an invariant)   *)
(* violated.                                                               *)
(*                                                                         *)
(* The directory-overlap check is removed: AcquireLock compares exact      *)
(* paths only, so a file is locked beneath another agent's live lock on    *)
(* its directory, and the other way round.                                 *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `AcqOverlap *)
(* <- NoOverlapCheck_AcqOverlap`, which replaces that one definition of    *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoOverlapCheck_AcqOverlap(p, q) == p = q

=============================================================================
