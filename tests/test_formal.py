"""The TLA+ model (formal/): TLC run, traceability and mutation manifest.

- test_tlc_model_check runs formal/check.sh (TLC on the CI configuration with
  coverage, then every mutation must fail with its expected invariant); it is
  skipped when TLA2TOOLS_JAR is unset or names no file.
- The other tests need no TLC: every invariant ID of docs/invariants.md that concerns
  the state machine appears in formal/Coordination.tla (INV-LOCK-EXCL,
  INV-LOCK-FENCE, INV-LOCK-EXPIRY, INV-CLAIM-UNIQ, INV-COMPLETE-OWNER,
  INV-DEPS, INV-RECLAIM), the model's action names are the ones SQL comments
  and the hypothesis state machine cite, and the mutation manifest is
  consistent with the modules and configurations it names.
- formal/Approvals.tla (approvals, INV_APPROVAL; MCApprovals.cfg) is a second,
  separate model: check.sh runs it too, its mutations are rows of the same
  manifest (their modules extend MCApprovals), and the tests below check its
  actions, configuration and mutations the same way.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from .invariant_catalogue import invariants

REPO = Path(__file__).resolve().parents[1]
FORMAL = REPO / "formal"
SPEC = FORMAL / "Coordination.tla"
MC_CFG = FORMAL / "MCCoordination.cfg"
MUTATIONS = FORMAL / "mutations"
MANIFEST = MUTATIONS / "mutations.tsv"
CHECK_SH = FORMAL / "check.sh"
APPROVALS_SPEC = FORMAL / "Approvals.tla"
APPROVALS_CFG = FORMAL / "MCApprovals.cfg"

# Each model-checking module a mutation may extend -> (its spec, its CI cfg).
MODELS = {
    "MCCoordination": (SPEC, MC_CFG),
    "MCApprovals": (APPROVALS_SPEC, APPROVALS_CFG),
}

# Which invariants the model states is a column of docs/invariants.md ("TLA+"):
# privileges, policies, audit and catalogue rules live only at the database layer.

# The actions of Next, by the names SQL comments, pgTAP/pytest tests and the
# hypothesis state machine cite.
ACTIONS = {
    "Tick",
    "AcquireLock",
    "RenewLock",
    "ReleaseLock",
    "SubmitTask",
    "ClaimTask",
    "Reclaim",
    "ClaimWithLeases",
    "ExhaustAttempts",
    "RenewClaim",
    "CompleteTask",
    "FailTask",
    "CancelTask",
    "SettleDependents",
}

# Defined in the model for citation but not disjuncts of Next: ForceRelease(p)
# is the holder's ReleaseLock step taken by an elevated agent.
DERIVED_ACTIONS = {"ForceRelease"}

# The guards the issue requires a mutation for -> the invariant TLC must
# report violated when that guard is removed.
REQUIRED_MUTATIONS = {
    "OwnerCheck": "INV_COMPLETE_OWNER",  # owner check on complete
    "AcqLive": "INV_LOCK_EXCL",  # expiry check on acquire (live treated as expired)
    "AcqOverlap": "INV_LOCK_EXCL",  # directory-overlap check
    "TokenCheck": "INV_COMPLETE_OWNER",  # token check after reclaim
    "DepsCheck": "INV_DEPS",  # dependency check on claim
    "ModesConflict": "INV_LOCK_EXCL",  # shared grants coexist, never with an exclusive one
    "LeaseTouchFree": "INV_LOCK_EXCL",  # a claim leasing its touches checks for conflicts (claim_touches)
    "TouchFree": "INV_CLAIM_TOUCH",  # a claim skips a task another agent leases a touch of
    "ReleaseLeases": "INV_CLAIM_TOUCH",  # a claim's leases end with it
}

# The actions of the approvals model's Next (docs/approvals.md).
APPROVAL_ACTIONS = {"Tick", "PolicyChange", "Request", "Grant", "Reject", "Expire", "Use"}

# The guards of Approvals.tla -> the invariant TLC must report violated when
# that guard is removed (UseMatches twice: the arguments and the policy version).
REQUIRED_APPROVAL_MUTATIONS = {
    "UseUnused": "INV_APPROVAL",  # single use
    "UseMatches": "INV_APPROVAL",  # arguments / policy version in the binding
    "NotSelf": "INV_APPROVAL",  # never approved by the requester
    "UseLive": "INV_APPROVAL",  # never used after its expiry
    "GrantPending": "INV_APPROVAL",  # only a pending request is decided
}

SKIP_NO_JAR = "TLA2TOOLS_JAR not set: formal model check skipped"


def _spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


def _defined(text: str, name: str) -> bool:
    """Whether `name` is defined at the start of a line (`Name ==`, `Name(x) ==`)."""
    return re.search(rf"^{re.escape(name)}\s*(\([^)]*\))?\s*==", text, re.M) is not None


def _manifest() -> list[dict[str, str]]:
    rows = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        variant, override, expected, kind, desc = line.split("\t")
        rows.append(
            {"variant": variant, "override": override, "expected": expected, "kind": kind, "desc": desc}
        )
    return rows


def _cfg_body(text: str) -> list[str]:
    """A .cfg without comment lines and blank lines, whitespace-normalised."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("\\*"):
            continue
        out.append(" ".join(s.split()))
    return out


CFG_KEYWORDS = re.compile(
    r"^(SPECIFICATION|INIT|NEXT|CONSTANTS?|INVARIANTS?|PROPERTY|PROPERTIES|"
    r"CONSTRAINTS?|ACTION_CONSTRAINTS?|SYMMETRY|VIEW|CHECK_DEADLOCK|ALIAS|POSTCONDITION)\b"
)


def _section_end(body: list[str], start: int) -> int:
    """Index of the first keyword line at or after `start` (or len(body))."""
    return next((i for i in range(start, len(body)) if CFG_KEYWORDS.match(body[i])), len(body))


def _jar() -> Path | None:
    value = os.environ.get("TLA2TOOLS_JAR")
    if not value or not Path(value).is_file():
        return None
    return Path(value)


# --------------------------------------------------------------------- TLC


def test_tlc_model_check():
    """INV-LOCK-EXCL, INV-LOCK-FENCE, INV-LOCK-EXPIRY, INV-CLAIM-UNIQ,
    INV-COMPLETE-OWNER, INV-DEPS, INV-RECLAIM, INV-CLAIM-TOUCH: TLC proves them on the CI model
    (all actions covered) and every mutation makes TLC report its invariant."""
    jar = _jar()
    if jar is None:
        pytest.skip(SKIP_NO_JAR)
    if os.environ.get("PGCOORD_FORMAL_SUITE_RAN") == "1":
        pytest.skip("TLC already ran as the formal suite of this `make test` run (formal/check.sh)")
    env = dict(os.environ, TLA2TOOLS_JAR=str(jar))
    proc = subprocess.run(
        ["bash", str(CHECK_SH)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    summary = re.search(r"^formal: (\d+) passed, (\d+) failed$", proc.stdout, re.M)
    assert summary, output
    assert summary.group(2) == "0", output
    # the two models (MCCoordination, MCApprovals) + every listed mutation
    assert int(summary.group(1)) == 2 + len(_manifest()), output
    assert re.search(r"^PASS  MCApprovals: no error; all \d+ actions of Next covered", proc.stdout, re.M), output


def test_check_sh_skips_without_jar(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TLA2TOOLS_JAR"}
    proc = subprocess.run(["bash", str(CHECK_SH)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == "SKIP: TLA2TOOLS_JAR not set (formal check skipped)"

    env["TLA2TOOLS_JAR"] = str(tmp_path / "missing.jar")
    proc = subprocess.run(["bash", str(CHECK_SH)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("SKIP: TLA2TOOLS_JAR not set (formal check skipped)")
    assert "formal:" not in proc.stdout  # nothing was checked
    assert not list(REPO.glob("formal/**/states")), "TLC must not write inside the repository"


# ------------------------------------------------------------ traceability


# The specs of the model (not the model-checking modules): INV-APPROVAL lives in
# formal/Approvals.tla, every other modelled invariant in formal/Coordination.tla
# (docs/invariants.md says which).
SPECS = {"INV-APPROVAL": REPO / "formal" / "Approvals.tla"}


def test_catalogued_invariants_in_model():
    """Every proven invariant of docs/invariants.md with a TLA+ operator appears in its
    spec (formal/Coordination.tla, or the one SPECS names), defined under that name
    next to its ID."""
    modelled = [r for r in invariants() if r.proven and r.tla]
    assert len(modelled) >= 8, f"too few modelled invariants in docs/invariants.md: {modelled}"
    text = {r.id: (SPECS[r.id].read_text(encoding="utf-8") if r.id in SPECS else _spec_text()) for r in modelled}
    missing = [r.id for r in modelled if r.id not in text[r.id]]
    assert not missing, f"invariant IDs missing from their spec: {missing}"
    undefined = [r.tla for r in modelled if not _defined(text[r.id], r.tla)]
    assert not undefined, f"no operator named after these IDs: {undefined}"


def test_catalogued_tla_operators_are_defined():
    """Every TLA+ operator docs/invariants.md names, whatever the row's status
    (a planned ID may be modelled before its SQL exists), is defined in a module
    of formal/ that also names the ID."""
    modules = {p.name: p.read_text(encoding="utf-8") for p in FORMAL.glob("*.tla")}
    for row in invariants():
        if not row.tla:
            continue
        homes = [name for name, text in modules.items() if _defined(text, row.tla)]
        assert homes, f"{row.id}: {row.tla} is defined in no formal/*.tla"
        assert any(row.id in modules[name] for name in homes), f"{row.id}: not named next to {row.tla}"


def test_model_actions_are_the_cited_names():
    spec = _spec_text()
    block = spec[spec.index("\nLockNext ==") : spec.index("\nNext ==")]
    in_next = {"Tick"} | set(re.findall(r":\s*([A-Z][A-Za-z]*)\(", block))
    assert in_next == ACTIONS
    assert re.search(r"^Next == Tick \\/ LockNext \\/ TaskNext$", spec, re.M)
    for action in ACTIONS | DERIVED_ACTIONS:
        assert _defined(spec, action), action


def test_ci_config_checks_every_property():
    spec = _spec_text()
    cfg = MC_CFG.read_text(encoding="utf-8")
    invariants = ["TypeOK"] + sorted(
        {m for m in re.findall(r"^(INV_[A-Z_]+)\s*==", spec, re.M)}
        - {"INV_RECLAIM", "INV_RECLAIM_LOCK", "INV_RECLAIM_CLAIM", "INV_DEPS_SETTLE"}
    )
    body = _cfg_body(cfg)
    start = body.index("INVARIANTS") + 1
    inv_section = body[start : _section_end(body, start)]
    start = body.index("PROPERTIES") + 1
    prop_section = body[start : _section_end(body, start)]
    assert sorted(inv_section) == sorted(invariants)
    assert {"INV_RECLAIM", "INV_DEPS_SETTLE"} <= set(prop_section)
    # Spec states its fairness explicitly (INV-RECLAIM rests on it).
    assert re.search(r"^Spec == Init /\\ \[\]\[Next\]_vars /\\ Fairness$", spec, re.M)
    assert "WF_vars(Tick)" in spec and "WF_vars(Settling(t))" in spec


def test_approvals_model_actions_and_config():
    """Approvals.tla: Next is the actions of docs/approvals.md, the guards are
    named operators, and MCApprovals.cfg checks TypeOK and INV_APPROVAL."""
    spec = APPROVALS_SPEC.read_text(encoding="utf-8")
    block = spec[spec.index("\nNext ==") : spec.index("\nSpec ==")]
    in_next = set(re.findall(r"\\/ ([A-Z][A-Za-z]*)\s*$", block, re.M)) | set(
        re.findall(r":\s*([A-Z][A-Za-z]*)\(", block)
    )
    assert in_next == APPROVAL_ACTIONS
    for name in APPROVAL_ACTIONS | set(REQUIRED_APPROVAL_MUTATIONS) | {"TypeOK", "INV_APPROVAL", "Spec"}:
        assert _defined(spec, name), name
    assert re.search(r"^Spec == Init /\\ \[\]\[Next\]_vars$", spec, re.M)
    body = _cfg_body(APPROVALS_CFG.read_text(encoding="utf-8"))
    start = body.index("INVARIANTS") + 1
    assert sorted(body[start : _section_end(body, start)]) == ["INV_APPROVAL", "TypeOK"]
    assert _defined((FORMAL / "MCApprovals.tla").read_text(encoding="utf-8"), "MC_Spec")


# --------------------------------------------------------------- mutations


def test_mutation_manifest_is_consistent():
    rows = _manifest()
    seen: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        variant, override, expected, kind = row["variant"], row["override"], row["expected"], row["kind"]
        tla = MUTATIONS / f"{variant}.tla"
        cfg = MUTATIONS / f"{variant}.cfg"
        assert tla.is_file() and cfg.is_file(), variant
        module = tla.read_text(encoding="utf-8")
        assert re.search(rf"^-+ MODULE {variant} -+$", module, re.M), variant
        extends = re.search(r"^EXTENDS (\w+)\s*$", module, re.M)
        assert extends and extends.group(1) in MODELS, f"{variant}: extends none of {sorted(MODELS)}"
        model = extends.group(1)
        spec_path, base_cfg = MODELS[model]
        spec = spec_path.read_text(encoding="utf-8")
        base = _cfg_body(base_cfg.read_text(encoding="utf-8"))
        assert _defined(module, f"{variant}_{override}"), variant
        assert _defined(spec, override), f"{variant}: {override} is not a definition of the spec"
        assert _defined(spec, expected), f"{variant}: {expected} is not a definition of the spec"
        assert kind in {"invariant", "temporal"}, variant

        # The cfg is its model's CI cfg plus the one override (and, for a
        # temporal variant, only the expected property).
        body = _cfg_body(cfg.read_text(encoding="utf-8"))
        override_line = f"{override} <- {variant}_{override}"
        assert body.count(override_line) == 1, variant
        body.remove(override_line)
        expected_body = list(base)
        if kind == "temporal":
            start = expected_body.index("PROPERTIES") + 1
            end = _section_end(expected_body, start)
            expected_body[start:end] = [expected]
        else:
            assert expected in base, f"{variant}: {expected} is not checked by {base_cfg.name}"
        assert body == expected_body, f"{variant}.cfg drifted from {base_cfg.name}"
        seen.setdefault(model, {}).setdefault(override, set()).add(expected)

    for guard, invariant in REQUIRED_MUTATIONS.items():
        assert invariant in seen.get("MCCoordination", {}).get(guard, set()), \
            f"no mutation removes {guard} (expecting {invariant})"
    for guard, invariant in REQUIRED_APPROVAL_MUTATIONS.items():
        assert invariant in seen.get("MCApprovals", {}).get(guard, set()), \
            f"no approvals mutation removes {guard} (expecting {invariant})"
    # The arguments and the policy version in the binding each have their own.
    assert sum(1 for r in rows if r["override"] == "UseMatches") >= 2
    assert any(r["kind"] == "temporal" and r["expected"] == "INV_RECLAIM" for r in rows)
