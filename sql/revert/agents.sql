-- Revert pgcoord:agents
BEGIN;
DROP TABLE coord_private.sessions;
DROP TABLE coord_private.agents;
COMMIT;
