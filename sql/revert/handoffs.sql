-- Revert pgcoord:handoffs
-- Everything the change made, dropped; the operation leaves the catalog.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP FUNCTION coord.read_handoffs(text, integer);
DROP FUNCTION coord.write_handoff(text, text[], text[], text[], text[], text[], uuid);

DROP FUNCTION coord_private.require_handoff_files(text[]);
DROP FUNCTION coord_private.require_handoff_items(text, text[]);
DROP FUNCTION coord_private.handoff_text_problem(text, integer);
DROP FUNCTION coord_private.handoff_refused_regex();
DROP FUNCTION coord_private.read_handoffs_max_limit();
DROP FUNCTION coord_private.handoff_max_files();
DROP FUNCTION coord_private.handoff_item_max_length();
DROP FUNCTION coord_private.handoff_max_items();
DROP FUNCTION coord_private.handoff_summary_max_length();

DROP TABLE coord_private.handoffs;

DELETE FROM coord_private.operations WHERE name = 'write_handoff';

COMMIT;
