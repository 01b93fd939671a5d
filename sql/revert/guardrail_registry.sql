-- Revert pgcoord:guardrail_registry
BEGIN;
DROP FUNCTION coord_private.record_guardrail_hits(bigint, jsonb, text);
DROP FUNCTION coord_private.guardrail_matches(text, text[]);
DROP TABLE coord_private.guardrail_hits;
DROP TABLE coord_private.guardrail_patterns;
COMMIT;
