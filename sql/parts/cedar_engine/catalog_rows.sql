INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('set_policy_engine',  'admin', 4, 'choose the policy engine (native or cedar)'),
    ('set_cedar_policies', 'admin', 4, 'store a new version of the Cedar policies');

-- Reasons only the Cedar engine gives (never on the baseline policies with the
-- facts the API functions pass). Kept by a revert while audit events use them.
INSERT INTO coord_private.reason_codes (code, outcome, description) VALUES
    ('not_permitted', 'deny', 'Cedar engine: no policy permits the operation (default deny)'),
    ('policy_error',  'deny', 'Cedar engine: a policy could not be evaluated, or names no reason code; fail closed')
ON CONFLICT (code) DO NOTHING;

UPDATE coord_private.error_codes
   SET description = 'a guardrail or domain pattern, or a Cedar policy set, is invalid or unsafe'
 WHERE sqlstate = 'PC012';
