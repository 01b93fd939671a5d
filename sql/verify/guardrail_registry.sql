-- Verify pgcoord:guardrail_registry
BEGIN;
SELECT name, category, regex, applies_to, severity, exempt_trust, always_applies FROM coord_private.guardrail_patterns WHERE false;
SELECT event_id, pattern, category, severity, field FROM coord_private.guardrail_hits WHERE false;
DO $$
BEGIN
    IF coord_private.guardrail_matches('anything', '{}') <> '[]'::jsonb
       AND NOT EXISTS (SELECT 1 FROM coord_private.guardrail_patterns) THEN
        RAISE EXCEPTION 'verify guardrail_registry: matches without patterns';
    END IF;
END
$$;
ROLLBACK;
