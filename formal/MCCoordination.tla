--------------------------- MODULE MCCoordination ---------------------------
(***************************************************************************)
(* Model-checking module for Coordination: binds the constants to small    *)
(* values.  The .cfg files pick one of the MC_* bindings:                 *)
(*   MCCoordination.cfg       CI run (2 agents, dir + 2 files, 2 tasks)    *)
(*   MCCoordination_deep.cfg  deeper run (longer horizon, more grants,     *)
(*                            3 tasks in a diamond-free DAG)              *)
(* Agents, NoAgent and NoPath are model values (set in the .cfg).          *)
(***************************************************************************)
EXTENDS Coordination, TLC

\* Paths: a directory "src" with two files beneath it.  "src/a" and "src/b"
\* don't overlap each other; both overlap "src".
MC_Paths  == {"src", "src/a"}
MC_NoPaths == {}
MC_NoTasks == {}
MC_Parent == [p \in MC_Paths |-> IF p = "src" THEN NoPath ELSE "src"]

\* Tasks: "build" depends on "gen".
MC_Tasks == {"gen", "build"}
MC_Deps  == [t \in MC_Tasks |-> IF t = "build" THEN {"gen"} ELSE {}]

\* Deep run: "test" depends on both.
MC_DeepTasks == {"gen", "build", "test"}
MC_DeepDeps  == [t \in MC_DeepTasks |->
                    CASE t = "build" -> {"gen"}
                      [] t = "test"  -> {"gen", "build"}
                      [] OTHER       -> {}]

\* Agents are interchangeable (safety-only runs may use this; TLC's liveness
\* checking is not sound under symmetry, so the CI config does not).
AgentSymmetry == Permutations(Agents)

=============================================================================
