CREATE TABLE coord_private.cedar_policies (
    version     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    policy_text text NOT NULL CHECK (pg_catalog.length(policy_text) <= 1000000),
    reason      text NOT NULL,
    created_by  text NOT NULL DEFAULT session_user,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE coord_private.cedar_policies IS
    'versions of the Cedar policy set: every change is a new row, the latest version is in force (audited through coord.set_cedar_policies)';
ALTER TABLE coord_private.cedar_policies ENABLE ROW LEVEL SECURITY;

-- Version 1: the baseline policies as cedar_engine released them, read from
-- sql/parts/cedar_engine/baseline.cedar (frozen: a released change deploys what it
-- deployed; a later baseline, policies/baseline.cedar, comes as a new version with
-- the change that brings it, e.g. approvals). psql reads it relative to its working
-- directory, the project root where Sqitch runs; the file ends with a newline,
-- which the backquote drops.
\set cedar_baseline_policies `cat sql/parts/cedar_engine/baseline.cedar`
INSERT INTO coord_private.cedar_policies (policy_text, reason, created_by) VALUES (
    :'cedar_baseline_policies' || E'\n',
    'baseline: the rules of the native engine (deploy of cedar_engine)', 'pgcoord');
DO $check$
BEGIN
    IF (SELECT c.policy_text FROM coord_private.cedar_policies c WHERE c.version = 1) !~ 'forbid' THEN
        RAISE EXCEPTION 'pgcoord: cannot read sql/parts/cedar_engine/baseline.cedar'
            USING HINT = 'run sqitch from the project root (the directory of sqitch.conf)';
    END IF;
END
$check$;
