-------------------- MODULE ExpiredLockBlocks --------------------
(***************************************************************************)
(* Mutation ExpiredLockBlocks: TLC must report INV_LOCK_EXPIRY (an         *)
(* invariant) violated.                                                    *)
(*                                                                         *)
(* The expiry filter on acquire is dropped the other way: every row with a *)
(* holder blocks, expired or not, so an expired lock is not treated as     *)
(* absent (only a clean-up job would remove it).                           *)
(*                                                                         *)
(* The .cfg is MCCoordination.cfg plus the definition override `AcqLive <- *)
(* ExpiredLockBlocks_AcqLive`, which replaces that one definition of       *)
(* Coordination.tla everywhere it is used.                                 *)
(***************************************************************************)
EXTENDS MCCoordination

ExpiredLockBlocks_AcqLive(q, b) == TRUE

=============================================================================
