"""A canonical description of pgcoord's schema, read from the catalogs (not from text).

Two databases have the same pgcoord schema when these descriptions are equal:
relations and columns, constraints, indexes, functions (definition, config,
volatility, security, ACL, comment), views, triggers, policies, types, sequences,
privileges, and the catalog rows (operations, reason and error codes, profiles).
"""
from __future__ import annotations

import psycopg

SCHEMAS = ("coord", "coord_private")

QUERIES = {
    "relations": """
        SELECT n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
               coalesce(c.relacl::text, ''), coalesce(obj_description(c.oid, 'pg_class'), ''),
               pg_get_userbyid(c.relowner)
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY(%(s)s) AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'i')
         ORDER BY 1, 2""",
    "columns": """
        SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               coalesce(pg_get_expr(d.adbin, d.adrelid), ''), a.attidentity, a.attnum
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE n.nspname = ANY(%(s)s) AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v', 'c')
         ORDER BY 1, 2, a.attnum""",
    "constraints": """
        SELECT n.nspname, c.relname, k.conname, pg_get_constraintdef(k.oid)
          FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY(%(s)s) ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes
         WHERE schemaname = ANY(%(s)s) ORDER BY 1, 2, 3""",
    "functions": """
        SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid),
               coalesce(p.proacl::text, ''), coalesce(obj_description(p.oid, 'pg_proc'), ''),
               pg_get_userbyid(p.proowner)
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = ANY(%(s)s) ORDER BY 1, 2, 3""",
    "views": """
        SELECT schemaname, viewname, definition FROM pg_views WHERE schemaname = ANY(%(s)s) ORDER BY 1, 2""",
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = ANY(%(s)s) AND NOT t.tgisinternal ORDER BY 1, 2""",
    "policies": """
        SELECT schemaname, tablename, policyname, permissive, roles::text, cmd, coalesce(qual, ''), coalesce(with_check, '')
          FROM pg_policies WHERE schemaname = ANY(%(s)s) ORDER BY 1, 2, 3""",
    "types": """
        SELECT n.nspname, t.typname, t.typtype, coalesce(t.typacl::text, '')
          FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          LEFT JOIN pg_class c ON c.oid = t.typrelid
         WHERE n.nspname = ANY(%(s)s) AND t.typtype IN ('c', 'e', 'd') AND (t.typrelid = 0 OR c.relkind = 'c')
         ORDER BY 1, 2""",
    "schemas": """
        SELECT nspname, pg_get_userbyid(nspowner), coalesce(nspacl::text, ''), coalesce(obj_description(oid, 'pg_namespace'), '')
          FROM pg_namespace WHERE nspname = ANY(%(s)s) ORDER BY 1""",
    "default_privileges": """
        SELECT pg_get_userbyid(defaclrole), defaclobjtype, coalesce(defaclacl::text, '')
          FROM pg_default_acl WHERE pg_get_userbyid(defaclrole) = 'coord_owner' ORDER BY 1, 2""",
    "catalog_rows": """
        SELECT 'operation', name || ':' || category || ':' || min_trust FROM coord_private.operations
        UNION ALL SELECT 'reason', code || ':' || outcome FROM coord_private.reason_codes
        UNION ALL SELECT 'error', sqlstate || ':' || name FROM coord_private.error_codes
        UNION ALL SELECT 'profile', name || ':' || trust_level FROM coord_private.profiles
        ORDER BY 1, 2""",
}


def describe(dsn: str) -> dict[str, list[tuple]]:
    with psycopg.connect(dsn) as conn:
        return {name: conn.execute(q, {"s": list(SCHEMAS)}).fetchall() for name, q in QUERIES.items()}
