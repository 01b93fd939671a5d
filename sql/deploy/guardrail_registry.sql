-- Deploy pgcoord:guardrail_registry
-- The guardrail pattern registry and the scan every guarded mutation runs
-- (submit_task on description and input, complete_task on its result). The scan
-- only reports matches; the policy engine decides with the agent's effective
-- trust (INV-TRUST): a 'block' match refuses below the pattern's exempt trust,
-- or at every trust level when the pattern always applies (credentials, keys).
BEGIN;
SET LOCAL ROLE coord_owner;

CREATE TABLE coord_private.guardrail_patterns (
    name           text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    category       text NOT NULL CHECK (category ~ '^[a-z][a-z0-9_]{0,30}$'),
    regex          text NOT NULL CHECK (pg_catalog.length(regex) BETWEEN 1 AND 1000),
    applies_to     text NOT NULL DEFAULT 'text' CHECK (applies_to IN ('text', 'path', 'both')),
    severity       text NOT NULL CHECK (severity IN ('block', 'warn')),
    exempt_trust   integer NOT NULL DEFAULT 5 CHECK (exempt_trust BETWEEN 1 AND 5),  -- 5: no trust level is exempt
    always_applies boolean NOT NULL DEFAULT false,
    description    text NOT NULL DEFAULT '',
    created_by     text NOT NULL DEFAULT session_user,
    created_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    prefilter      text[]      -- see guardrails_api.sql: keywords gating the regex; NULL: always evaluated
);
COMMENT ON TABLE coord_private.guardrail_patterns IS
    'destructive-operation patterns (case-insensitive regular expressions) checked by the database';
COMMENT ON COLUMN coord_private.guardrail_patterns.prefilter IS
    'LIKE patterns over the lowercased normalised text: the regex is evaluated only when one matches; NULL: always evaluated';
ALTER TABLE coord_private.guardrail_patterns ENABLE ROW LEVEL SECURITY;

CREATE TABLE coord_private.guardrail_hits (
    event_id   bigint NOT NULL,
    pattern    text NOT NULL,
    category   text NOT NULL,
    severity   text NOT NULL,
    field      text NOT NULL,
    PRIMARY KEY (event_id, pattern, field)
);
COMMENT ON TABLE coord_private.guardrail_hits IS 'every guardrail match, keyed by the audit event of the decision it fed';
ALTER TABLE coord_private.guardrail_hits ENABLE ROW LEVEL SECURITY;

\ir ../parts/guardrail_registry/coord_private.guardrail_matches.sql

-- Persist the matches of one decision (called after the policy hook). PL/pgSQL, not
-- SQL: it runs on every submit and completion, and an SQL function is planned
-- afresh on every call; with no match there is nothing to plan at all.
CREATE FUNCTION coord_private.record_guardrail_hits(p_event_id bigint, p_matches jsonb, p_field text)
RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
    IF p_matches IS NULL OR p_matches = '[]'::jsonb THEN
        RETURN;
    END IF;
    INSERT INTO coord_private.guardrail_hits (event_id, pattern, category, severity, field)
    SELECT p_event_id, m->>'name', m->>'category', m->>'severity', p_field
      FROM pg_catalog.jsonb_array_elements(p_matches) m
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION coord_private.record_guardrail_hits(bigint, jsonb, text) IS
    'persist the guardrail matches of one audited decision';

COMMIT;
