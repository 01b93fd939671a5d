-- Revert pgcoord:network_policy
BEGIN;
SET LOCAL ROLE coord_owner;
DROP VIEW coord.network_rules;
DROP FUNCTION coord.remove_network_rule(bigint, text);
DROP FUNCTION coord.add_network_rule(text, text, integer, text, text);
DROP FUNCTION coord.check_network_access(text);
DROP FUNCTION coord_private.network_rule_for(text, text);
DROP FUNCTION coord_private.network_candidates(text);
DROP FUNCTION coord_private.network_pattern(text);
DROP FUNCTION coord_private.normalize_host(text);
DROP FUNCTION coord_private.ip_literal(text, text, integer);
DROP FUNCTION coord_private.bad_host(text, text);
DROP FUNCTION coord_private.punycode_encode(text);
DROP TABLE coord_private.network_decisions;
DROP TABLE coord_private.network_rules;
DELETE FROM coord_private.operations WHERE name IN ('add_network_rule', 'remove_network_rule', 'network_access');
COMMIT;
