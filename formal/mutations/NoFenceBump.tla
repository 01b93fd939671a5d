-------------------- MODULE NoFenceBump --------------------
(***************************************************************************)
(* Mutation NoFenceBump: TLC must report INV_LOCK_FENCE (an invariant)     *)
(* violated.                                                               *)
(*                                                                         *)
(* Re-acquiring does not take a new fencing token: when the holder re-     *)
(* acquires its own path, the grant returns the row's old token, which is  *)
(* not greater than the earlier grant's.                                   *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `GrantToken *)
(* <- NoFenceBump_GrantToken`, which replaces that one definition of       *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoFenceBump_GrantToken(a, p) == 
    IF lock[p][a].mode # "none" THEN lock[p][a].token ELSE fence + 1

=============================================================================
