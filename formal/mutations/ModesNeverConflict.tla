-------------------- MODULE ModesNeverConflict --------------------
(***************************************************************************)
(* Mutation ModesNeverConflict: TLC must report INV_LOCK_EXCL (an          *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The mode check on acquire is weakened: only two exclusive grants        *)
(* conflict, so a shared grant is given beside another agent's live        *)
(* exclusive lock on an overlapping path, and the other way round.         *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override             *)
(* `ModesConflict <- ModesNeverConflict_ModesConflict`, which replaces     *)
(* that one definition of Coordination.tla everywhere it is used.          *)
(***************************************************************************)
EXTENDS MCCoordination

ModesNeverConflict_ModesConflict(m, n) == m = "exclusive" /\ n = "exclusive"

=============================================================================
