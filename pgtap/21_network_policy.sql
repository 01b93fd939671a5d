-- Network policy (change network_policy): domain allow/deny rules, global and per
-- profile, priorities, wildcards that never match by accident, default deny;
-- coord.check_network_access normalises (scheme, userinfo, port, path, case,
-- trailing dot, IDN) and lets the policy engine decide domain_denied; every decision
-- has exactly one audit event (INV-AUDIT-COMPLETE) and obeys the enforcement mode;
-- the admin API is coord_admin's (42501 for agents) and validates patterns (PC012).
BEGIN;
SELECT plan(58);

-- trust: t21_untr 0, t21_rev 1, t21_impl 2, t21_orch 3
SELECT tests.create_members('coord_admin', 't21_admin'), tests.create_agents('implementer', 't21_impl'),
       tests.create_agents('orchestrator', 't21_orch'), tests.create_agents('reviewer', 't21_rev'),
       tests.create_agents('untrusted', 't21_untr');

-- TEST ONLY helpers, gone with the transaction (and tests.last_event_id, tests.diag_as
-- of tests/sql/actors.sql).
--   pg_temp.net(role, target)   'allowed reason domain rule-pattern' of a check (rule-pattern '-' when none)
--   pg_temp.add(pattern, action, priority, profile)  the admin adds a rule; its normalised pattern
CREATE FUNCTION pg_temp.net(p_role text, p_target text) RETURNS text
LANGUAGE sql AS $$
    SELECT concat_ws(' ', r->>'allowed', r->>'reason', r->>'domain', coalesce(r->'rule'->>'pattern', '-'))
      FROM tests.row_as(p_role, format('SELECT * FROM coord.check_network_access(%L)', p_target)) r
$$;
CREATE FUNCTION pg_temp.add(p_pattern text, p_action text, p_priority integer, p_profile text) RETURNS text
LANGUAGE sql AS $$
    SELECT tests.row_as('t21_admin', format('SELECT * FROM coord.add_network_rule(%L, %L, %s, %L)',
                                            p_pattern, p_action, p_priority, p_profile)) ->> 'normalized_pattern'
$$;

-- ---------------------------------------------------------------- structure
SELECT ok(has_function_privilege('coord_agent', 'coord.check_network_access(text)', 'EXECUTE')
          AND NOT has_function_privilege('coord_agent', 'coord.add_network_rule(text,text,integer,text,text)', 'EXECUTE')
          AND NOT has_function_privilege('coord_agent', 'coord.remove_network_rule(bigint,text)', 'EXECUTE'),
    'INV-BOUNDARY: agents check network access but cannot manage rules');
SELECT ok(has_function_privilege('coord_admin', 'coord.add_network_rule(text,text,integer,text,text)', 'EXECUTE')
          AND has_function_privilege('coord_admin', 'coord.remove_network_rule(bigint,text)', 'EXECUTE'),
    'INV-BOUNDARY: coord_admin manages the rules');
SELECT results_eq($$ SELECT name, category, min_trust FROM coord_private.operations
                      WHERE name IN ('add_network_rule', 'remove_network_rule', 'network_access') ORDER BY name $$,
                  $$ VALUES ('add_network_rule', 'admin', 4), ('network_access', 'agent', 1), ('remove_network_rule', 'admin', 4) $$,
    'INV-BOUNDARY: the network operations are in the catalog');
SELECT ok((SELECT bool_and(relrowsecurity) FROM pg_class
            WHERE oid IN ('coord_private.network_rules'::regclass, 'coord_private.network_decisions'::regclass)),
    'INV-RLS: row-level security is on for the rule and decision tables');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord_private.network_rules$$) ~ '^42501', true,
    'INV-RLS: an agent cannot read the rule table directly');

-- ---------------------------------------------------------------- default deny
SELECT is(pg_temp.net('t21_impl', 'github.com'), 'false domain_denied github.com -',
    'default deny: with no rule, a domain is denied (domain_denied, no rule)');

-- ---------------------------------------------------------------- rules
SELECT is(pg_temp.add('*.GitHub.com.', 'allow', 0, NULL), '*.github.com',
    'coord_admin adds a global wildcard rule; the pattern is normalised');
SELECT is(pg_temp.add('pypi.org', 'allow', 0, NULL) || ' ' || pg_temp.add('a_b.example.com', 'allow', 0, NULL)
          || ' ' || pg_temp.add('*.evil.net', 'deny', 0, NULL) || ' ' || pg_temp.add('bücher.example', 'allow', 0, NULL)
          || ' ' || pg_temp.add('10.0.0.1', 'allow', 0, NULL) || ' ' || pg_temp.add('[2001:DB8::1]', 'allow', 0, NULL),
          'pypi.org a_b.example.com *.evil.net xn--bcher-kva.example 10.0.0.1 [2001:db8::1]',
    'exact, wildcard, IDN and IP-literal rules are stored normalised');

-- wildcards never match by accident
SELECT is(pg_temp.net('t21_impl', 'api.github.com'), 'true allowed api.github.com *.github.com',
    '*.github.com matches api.github.com');
SELECT is(pg_temp.net('t21_impl', 'a.b.github.com'), 'true allowed a.b.github.com *.github.com',
    '*.github.com matches a.b.github.com (any depth)');
SELECT is(pg_temp.net('t21_impl', 'github.com'), 'false domain_denied github.com -',
    '*.github.com does not match github.com itself');
SELECT is(pg_temp.net('t21_impl', 'github.com.evil.net'), 'false domain_denied github.com.evil.net *.evil.net',
    '*.github.com does not match github.com.evil.net (a suffix, not a prefix, decides)');
SELECT is(pg_temp.net('t21_impl', 'evilgithub.com'), 'false domain_denied evilgithub.com -',
    '*.github.com does not match evilgithub.com (label boundary)');
SELECT is(pg_temp.net('t21_impl', 'xgithub.com.'), 'false domain_denied xgithub.com -',
    '*.github.com does not match xgithub.com');

-- % and _ are literal
SELECT is(pg_temp.net('t21_impl', 'a_b.example.com'), 'true allowed a_b.example.com a_b.example.com',
    '_ is a literal character: a_b.example.com matches its rule');
SELECT is(pg_temp.net('t21_impl', 'axb.example.com'), 'false domain_denied axb.example.com -',
    '_ is not a wildcard: axb.example.com does not match a_b.example.com');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('%.github.com')$$), 'PC002|true|true|true',
    '% is not a wildcard: %.github.com is an invalid host name (PC002 with detail and hint)');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('git%ub.com')$$), 'PC002|true|true|true',
    '% inside a label is refused (no percent-decoding, no LIKE)');

-- normalisation
SELECT is(pg_temp.net('t21_impl', 'HTTPS://user:pw@API.GitHub.COM.:443/repos?q=1#top'), 'true allowed api.github.com *.github.com',
    'scheme, userinfo, port, path, query, fragment, case and the trailing dot are normalised away');
SELECT is(pg_temp.net('t21_impl', 'https://api.github.com@evil.net/'), 'false domain_denied evil.net -',
    'userinfo ends at the last @: https://api.github.com@evil.net/ is evil.net (and *.evil.net does not cover evil.net)');
SELECT is(pg_temp.net('t21_impl', 'http://evil.net\@api.github.com/'), 'false domain_denied evil.net -',
    'a backslash ends the authority (as in browsers): evil.net');
SELECT is(pg_temp.net('t21_impl', 'https://BÜCHER.example/x'), 'true allowed xn--bcher-kva.example xn--bcher-kva.example',
    'IDN: BÜCHER.example is xn--bcher-kva.example (NFC, lower case, RFC 3492 punycode)');
SELECT is(pg_temp.net('t21_impl', 'xn--bcher-kva.example'), 'true allowed xn--bcher-kva.example xn--bcher-kva.example',
    'IDN: the punycode spelling is the same domain');
SELECT is(coord_private.normalize_host('пример.рф') || ' ' || coord_private.normalize_host('例え.jp') || ' ' || coord_private.normalize_host('münchen.de'),
          'xn--e1afmkfd.xn--p1ai xn--r8jz45g.jp xn--mnchen-3ya.de',
    'IDN: Cyrillic, Japanese and German names encode as IDNA does');
SELECT is(pg_temp.net('t21_impl', 'github。com'), 'false domain_denied github.com -',
    'the ideographic full stop is a dot');

-- IP literals
SELECT is(pg_temp.net('t21_impl', 'http://10.0.0.1:8080/'), 'true allowed 10.0.0.1 10.0.0.1',
    'an IPv4 literal matches its exact rule');
SELECT is(pg_temp.net('t21_impl', 'http://[2001:0db8:0:0::1]:443/'), 'true allowed [2001:db8::1] [2001:db8::1]',
    'an IPv6 literal is canonicalised and matches its exact rule');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('10.1')$$)
          || ' ' || tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('0xa.0.0.1')$$)
          || ' ' || tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('167772161')$$),
          'PC002|true|true|true PC002|true|true|true PC002|true|true|true',
    'ambiguous numeric spellings of 10.0.0.1 (10.1, 0xa.0.0.1, 167772161) are refused, not matched');

-- bad input
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access(NULL)$$), 'PC001|true|true|true',
    'bad input: NULL raises PC001');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('  ')$$)
          || ' ' || tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('https:///path')$$)
          || ' ' || tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('a..b.com')$$)
          || ' ' || tests.diag_as('t21_impl', $$SELECT * FROM coord.check_network_access('host:port')$$),
          'PC002|true|true|true PC002|true|true|true PC002|true|true|true PC002|true|true|true',
    'bad input: empty hosts, empty labels and non-numeric ports raise PC002');

-- ---------------------------------------------------------------- priority, ties, profiles
SELECT is(pg_temp.add('gist.github.com', 'deny', 10, 'implementer'), 'gist.github.com',
    'a profile rule (implementer, priority 10)');
SELECT is(pg_temp.net('t21_impl', 'gist.github.com'), 'false domain_denied gist.github.com gist.github.com',
    'the higher-priority profile deny wins over the global allow for that profile');
SELECT is(pg_temp.net('t21_rev', 'gist.github.com'), 'true allowed gist.github.com *.github.com',
    'a profile rule does not apply to agents of other profiles');
SELECT is(pg_temp.add('docs.example.org', 'allow', 5, NULL) || ' ' || pg_temp.add('*.example.org', 'deny', 5, NULL),
          'docs.example.org *.example.org', 'an allow and a deny at equal priority');
SELECT is(pg_temp.net('t21_impl', 'docs.example.org'), 'false domain_denied docs.example.org *.example.org',
    'at equal priority deny wins (even over the more specific allow)');
SELECT is(tests.row_as('t21_admin', $$SELECT replaced FROM coord.add_network_rule('docs.example.org', 'allow', 6)$$) ->> 'replaced', 'true',
    'adding the same pattern and scope replaces the rule');
SELECT is(pg_temp.net('t21_impl', 'docs.example.org'), 'true allowed docs.example.org docs.example.org',
    'the highest priority wins');
SELECT is(pg_temp.add('*.github.com', 'deny', -5, 'implementer'), '*.github.com',
    'the same pattern may have a profile rule besides the global one');
SELECT is(pg_temp.net('t21_impl', 'api.github.com'), 'true allowed api.github.com *.github.com',
    'a lower-priority profile deny loses to the global allow');
SELECT is(pg_temp.add('*.internal.example', 'allow', 0, 'orchestrator'), '*.internal.example', 'an orchestrator-only allow');
SELECT is(pg_temp.net('t21_orch', 'ci.internal.example') || ' / ' || pg_temp.net('t21_impl', 'ci.internal.example'),
          'true allowed ci.internal.example *.internal.example / false domain_denied ci.internal.example -',
    'profile rules apply to agents of that profile only; others fall to default deny');

-- ---------------------------------------------------------------- audit and decisions
SELECT tests.last_event_id() AS e0 \gset
SELECT tests.row_as('t21_impl', $$SELECT * FROM coord.check_network_access('https://pypi.org/simple/')$$) AS c1 \gset
SELECT tests.row_as('t21_impl', $$SELECT * FROM coord.check_network_access('evil.net')$$) AS c2 \gset
SELECT is((SELECT count(*)::integer FROM coord_private.audit_events WHERE event_id > :e0), 2,
    'INV-AUDIT-COMPLETE: each decision wrote exactly one audit event');
SELECT results_eq(format($$ SELECT actor, operation, resource, allowed, proceeded, reason, context->>'network_verdict',
                                   context->'network_rule'->>'pattern'
                              FROM coord_private.audit_events WHERE event_id IN (%s, %s) ORDER BY event_id $$,
                         :'c1'::jsonb->>'event_id', :'c2'::jsonb->>'event_id'),
                  $$ VALUES ('t21_impl', 'network_access', 'pypi.org', true, true, 'allowed', 'allow', 'pypi.org'),
                            ('t21_impl', 'network_access', 'evil.net', false, false, 'domain_denied', 'deny', NULL) $$,
    'INV-AUDIT-COMPLETE: the events record domain, verdict and rule; the engine decided domain_denied');
SELECT results_eq(format($$ SELECT agent, domain, verdict, proceeded FROM coord_private.network_decisions
                              WHERE event_id IN (%s, %s) ORDER BY event_id $$,
                         :'c1'::jsonb->>'event_id', :'c2'::jsonb->>'event_id'),
                  $$ VALUES ('t21_impl', 'pypi.org', 'allow', true), ('t21_impl', 'evil.net', 'deny', false) $$,
    'every decision is indexed by its event in network_decisions');
SELECT is(pg_temp.net('t21_rev', 'pypi.org'), 'true allowed pypi.org pypi.org', 'INV-TRUST: a reviewer (trust 1) may check');
SELECT is(pg_temp.net('t21_untr', 'pypi.org'), 'false trust_too_low pypi.org pypi.org',
    'INV-TRUST: an untrusted agent (trust 0) is denied with trust_too_low even for an allowed domain');

-- ---------------------------------------------------------------- shadow mode
SELECT tests.row_as('t21_admin', $$SELECT ok FROM coord.set_enforcement_mode('shadow', 'pgTAP 21: network rollout')$$) ->> 'ok' AS m1 \gset
SELECT tests.row_as('t21_impl', $$SELECT * FROM coord.check_network_access('evil.net')$$) AS s1 \gset
SELECT is(:'s1'::jsonb->>'allowed' || ' ' || (:'s1'::jsonb->>'reason'), 'true domain_denied',
    'shadow mode: a denied domain proceeds and the would-be denial is named');
SELECT results_eq(format($$ SELECT allowed, proceeded, mode FROM coord_private.audit_events WHERE event_id = %s $$, :'s1'::jsonb->>'event_id'),
                  $$ VALUES (false, true, 'shadow') $$,
    'INV-AUDIT-COMPLETE: the shadow event records allowed false, proceeded true');
SELECT tests.row_as('t21_admin', $$SELECT ok FROM coord.set_enforcement_mode('enforce', 'pgTAP 21: done')$$) ->> 'ok' AS m2 \gset

-- ---------------------------------------------------------------- the admin API
SELECT tests.last_event_id() AS e1 \gset
SELECT is(tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('https://github.com/', 'allow')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('a.*.com', 'allow')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('*', 'allow')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('*.10.0.0.1', 'allow')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('%.example.com', 'allow')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('github.com:443', 'allow')$$),
          'PC012|true|true|true PC012|true|true|true PC012|true|true|true PC012|true|true|true PC012|true|true|true PC012|true|true|true',
    'PC012: URLs, inner or bare wildcards, wildcards over IPs, % and ports are not rule patterns');
SELECT is(tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('github.com', 'permit')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('github.com', 'allow', 5000)$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule('github.com', 'allow', 0, 'no_such_profile')$$)
          || ' ' || tests.diag_as('t21_admin', $$SELECT * FROM coord.add_network_rule(NULL, 'allow')$$),
          'PC002|true|true|true PC002|true|true|true PC006|true|true|true PC001|true|true|true',
    'bad input: an invalid action or priority raises PC002, an unknown profile PC006, NULL PC001');
SELECT is((SELECT count(*)::integer FROM coord_private.audit_events WHERE event_id > :e1), 0,
    'bad input decided nothing: no audit event');
SELECT is_empty($$ SELECT 1 FROM coord_private.network_rules WHERE pattern IN ('github.com', 'a.*.com') $$,
    'nothing was added by the refused rules');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.add_network_rule('evil.net', 'allow', 1000)$$), '42501|true|false|false',
    'INV-BOUNDARY: an agent cannot add a rule (42501)');
SELECT is(tests.diag_as('t21_impl', $$SELECT * FROM coord.remove_network_rule(1, 'x')$$), '42501|true|false|false',
    'INV-BOUNDARY: an agent cannot remove a rule (42501)');

SELECT tests.last_event_id() AS e2 \gset
SELECT tests.row_as('t21_admin', format($$SELECT * FROM coord.remove_network_rule(%s, 'pgTAP 21: evil.net no longer listed')$$,
                    (SELECT rule_id FROM coord_private.network_rules WHERE pattern = '*.evil.net'))) AS r1 \gset
SELECT is(:'r1'::jsonb - 'event_id', '{"ok": true, "reason": "allowed"}'::jsonb, 'coord_admin removes a rule');
SELECT results_eq(format($$ SELECT actor, operation, resource, context->>'why' FROM coord_private.audit_events WHERE event_id = %s $$,
                         :'r1'::jsonb->>'event_id'),
                  $$ VALUES ('t21_admin', 'remove_network_rule', '*.evil.net', 'pgTAP 21: evil.net no longer listed') $$,
    'INV-AUDIT-COMPLETE: the removal is audited with the rule and the reason (one event)');
SELECT is(pg_temp.net('t21_impl', 'www.evil.net'), 'false domain_denied www.evil.net -',
    'without the deny rule, www.evil.net falls to default deny');
SELECT is(tests.diag_as('t21_admin', $$SELECT * FROM coord.remove_network_rule(-1, 'x')$$), 'PC002|true|true|true',
    'bad input: removing an unknown rule raises PC002');

SELECT * FROM finish();
ROLLBACK;
