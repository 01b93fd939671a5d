-- The static part of the Cedar schema (policies/schema.cedarschema as released;
-- the approvals change replaces it).
\ir coord_private.cedar_schema_entities.sql

-- The Cedar entity type of a mutation intent's resource, by operation.
CREATE FUNCTION coord_private.cedar_resource_type(p_operation text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN p_operation ~ 'lock' THEN 'File'
        WHEN p_operation ~ '(task|claim|reap)' THEN 'Task'
        WHEN p_operation ~ 'session' THEN 'Session'
        WHEN p_operation ~ '(network|domain)' THEN 'Domain'
        WHEN p_operation ~ 'agent' THEN 'Agent'
        WHEN p_operation ~ 'profile' THEN 'Profile'
        ELSE 'Resource' END
$$;
COMMENT ON FUNCTION coord_private.cedar_resource_type(text) IS
    'the Cedar entity type of the resource of an operation (File, Task, Session, Domain, Agent, Profile, Resource)';

-- The whole Cedar schema: the entity types and one action per operation of the
-- catalog, in its category's action group and its minimum trust's action group.
CREATE FUNCTION coord_private.cedar_schema()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT coord_private.cedar_schema_entities()
        || E'\n// Action groups, and one action per operation of coord_private.operations.\n'
        || E'action "category:agent", "category:admin", "category:system";\n'
        || E'action "min_trust:0", "min_trust:1", "min_trust:2", "min_trust:3", "min_trust:4";\n'
        || coalesce(pg_catalog.string_agg(pg_catalog.format(
               'action %s in ["category:%s", "min_trust:%s"] appliesTo { principal: Agent, '
               || 'resource: [File, Domain, Task, Session, Agent, Profile, Resource], context: Facts };',
               pg_catalog.to_json(o.name), o.category, o.min_trust), E'\n' ORDER BY o.name), '')
        || E'\n'
      FROM coord_private.operations o
$$;
COMMENT ON FUNCTION coord_private.cedar_schema() IS
    'the Cedar schema policies are validated against: the entity types and one action per operation of the catalog';
