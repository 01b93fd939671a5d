--------------------------- MODULE MCCoordination ---------------------------
EXTENDS Coordination, TLC
CONSTANT Halves
VARIABLE half
mcvars == <<vars, half>>
MC_Paths  == {"src", "src/a", "src/b"}
MC_Parent == [p \in MC_Paths |-> IF p = "src" THEN NoPath ELSE "src"]
MC_Tasks == {"gen", "build"}
MC_Deps  == [t \in MC_Tasks |-> IF t = "build" THEN {"gen"} ELSE {}]
MC_Init == Init /\ half \in Halves
LP == IF half = "tasks" THEN {} ELSE Paths
TS == IF half = "locks" THEN {} ELSE Tasks
MC_Next ==
    \/ Tick /\ UNCHANGED half
    \/ \E a \in Agents, p \in LP : AcquireLock(a, p) /\ UNCHANGED half
    \/ \E a \in Agents, p \in LP : RenewLock(a, p) /\ UNCHANGED half
    \/ \E a \in Agents, p \in LP : UNCHANGED half /\ ReleaseLock(a, p)
    \/ \E a \in Agents, t \in TS : ClaimTask(a, t) /\ UNCHANGED half
MC_Spec == MC_Init /\ [][MC_Next]_mcvars /\ Fairness
=============================================================================
