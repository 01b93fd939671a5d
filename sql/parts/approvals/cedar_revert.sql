-- The revert of sql/parts/approvals/cedar.sql (included by the approvals revert, as
-- coord_owner).
--   1. The Cedar schema as cedar_engine released it (its definition, included).
--   2. The evaluator stays: the module in the tree reads coord_private.profile_approvals
--      only where the table exists and omits it otherwise (the evaluator is not
--      versioned by tag, docs/sql-layout.md), and without them the approval rules
--      match nothing. (Approve-severity guardrail matches would still be read, but
--      the approvals revert leaves no pattern of that severity to match.)
--   3. The policies: where the version in force is still the one the approvals
--      deploy stored, the released baseline becomes the next version (the history
--      stays append-only; decisions recorded under the approvals version still name
--      a version that exists). Policies an admin stored after it are left as they
--      are: if they use @id("approval_required"), a code the revert removes, those
--      forbids deny with policy_error where they match (fail closed), and
--      coord.set_cedar_policies refuses such a text; the deployer is warned.
\ir ../cedar_engine/coord_private.cedar_schema_entities.sql

\set approvals_cedar_released `cat sql/parts/cedar_engine/baseline.cedar`
SELECT pg_catalog.set_config('pgcoord.approvals_cedar_released', :'approvals_cedar_released' || E'\n', true)
           IS NOT NULL AS cedar_released_read;
DO $policies$
DECLARE
    v_released text := pg_catalog.current_setting('pgcoord.approvals_cedar_released');
    v_current coord_private.cedar_policies;
BEGIN
    IF v_released !~ 'forbid' THEN
        RAISE EXCEPTION 'pgcoord: cannot read sql/parts/cedar_engine/baseline.cedar'
            USING HINT = 'run sqitch from the project root (the directory of sqitch.conf)';
    END IF;
    SELECT * INTO v_current FROM coord_private.cedar_policies c ORDER BY c.version DESC LIMIT 1;
    IF v_current.created_by = 'pgcoord'
       AND v_current.reason = 'baseline: the rules of the native engine, with approvals (deploy of approvals)' THEN
        INSERT INTO coord_private.cedar_policies (policy_text, reason, created_by)
        VALUES (v_released, 'baseline: the rules of the native engine (revert of approvals)', 'pgcoord');
    ELSIF v_current.policy_text ~ 'approval_required' THEN
        RAISE WARNING 'pgcoord: the Cedar policies in force (version %) use @id("approval_required"), which the revert removes', v_current.version
            USING HINT = 'store them without those forbids with coord.set_cedar_policies; until then, where they match, they deny with policy_error';
    END IF;
END
$policies$;
