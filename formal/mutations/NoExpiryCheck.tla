-------------------- MODULE NoExpiryCheck --------------------
(***************************************************************************)
(* Mutation NoExpiryCheck: TLC must report INV_LOCK_EXCL (an invariant)    *)
(* violated.                                                               *)
(*                                                                         *)
(* The expiry check on acquire is broken: AcquireLock's comparison with a  *)
(* row's expiry treats every row as expired (absent), live ones included,  *)
(* so another agent's live lock no longer blocks an overlapping grant.     *)
(* (The other direction, expired rows still blocking, is                   *)
(* ExpiredLockBlocks.)                                                     *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `AcqLive <- *)
(* NoExpiryCheck_AcqLive`, which replaces that one definition of           *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

NoExpiryCheck_AcqLive(q, b) == FALSE

=============================================================================
