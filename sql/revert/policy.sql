-- Revert pgcoord:policy
BEGIN;
DROP FUNCTION coord_private.authorize(text, text, jsonb, text);
DROP FUNCTION coord_private.decide(text, text, text, jsonb, text);
DROP FUNCTION coord_private.cedar_decide(text, text, text, jsonb);
DROP FUNCTION coord_private.native_decide(text, text, text, jsonb);
DROP TYPE coord_private.verdict;
DROP TYPE coord_private.request_facts;
DROP TYPE coord_private.decision;
COMMIT;
