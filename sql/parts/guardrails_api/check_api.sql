-- The agent check, coord.check_guardrails, and the admins' view of the patterns.
\ir coord.check_guardrails.sql

-- ---------------------------------------------------------------- read access
CREATE VIEW coord.guardrail_patterns AS
    SELECT g.name, g.category, g.severity, g.applies_to, g.exempt_trust, g.always_applies, g.regex,
           g.prefilter, g.description, g.created_by, g.created_at
      FROM coord_private.guardrail_patterns g;
COMMENT ON VIEW coord.guardrail_patterns IS
    'coord_admin, coord_auditor: the guardrail patterns (text patterns match the normalised text, case-insensitively)';
REVOKE ALL ON FUNCTION coord.check_guardrails(text, text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.check_guardrails(text, text[]) TO coord_agent;
GRANT SELECT ON coord.guardrail_patterns TO coord_admin, coord_auditor;
