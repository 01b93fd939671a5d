-- Revert pgcoord:memory
-- Everything the change made, dropped; the operations leave the catalog.
BEGIN;
SET LOCAL ROLE coord_owner;

DROP FUNCTION coord.skills(text);
DROP FUNCTION coord.record_skill_outcome(text, boolean, text);
DROP FUNCTION coord.get_working_memory(uuid);
DROP FUNCTION coord.set_working_memory(uuid, text, jsonb);
DROP FUNCTION coord.recall(text[], text, text, integer);
DROP FUNCTION coord.remember(text, text, jsonb, text, text[], text[]);

DROP TRIGGER sessions_clear_working_memory ON coord_private.sessions;
DROP FUNCTION coord_private.clear_working_memory();

DROP TABLE coord_private.skill_outcomes;
DROP TABLE coord_private.working_memory;
DROP TABLE coord_private.memory_lines;
DROP TABLE coord_private.memories;

DROP FUNCTION coord_private.reads_fleet_memory();
DROP FUNCTION coord_private.memory_line(text, bytea);
DROP FUNCTION coord_private.memory_search_vector(text, text[], text[]);
DROP FUNCTION coord_private.memory_summary_digest(text);
DROP FUNCTION coord_private.memory_details_problem(jsonb);
DROP FUNCTION coord_private.require_memory_lessons(text[]);
DROP FUNCTION coord_private.require_memory_text(text, text, integer);
DROP FUNCTION coord_private.require_memory_names(text, text[]);
DROP FUNCTION coord_private.require_event_type(text);
DROP FUNCTION coord_private.working_memory_key_valid(text);
DROP FUNCTION coord_private.event_type_valid(text);
DROP FUNCTION coord_private.memory_name_valid(text);
DROP FUNCTION coord_private.skills_max_rows();
DROP FUNCTION coord_private.working_memory_max_keys();
DROP FUNCTION coord_private.recall_max_candidates();
DROP FUNCTION coord_private.recall_max_limit();
DROP FUNCTION coord_private.memory_json_max_bytes();
DROP FUNCTION coord_private.memory_max_items();
DROP FUNCTION coord_private.memory_item_max_length();
DROP FUNCTION coord_private.memory_summary_max_length();
DROP FUNCTION coord_private.memory_recency_half_life();
DROP FUNCTION coord_private.memory_dedup_window();

DELETE FROM coord_private.operations WHERE name IN ('remember', 'set_working_memory', 'record_skill_outcome');

COMMIT;
