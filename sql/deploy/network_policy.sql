-- Deploy pgcoord:network_policy
-- Domain allow/deny rules, global or per profile, with priorities and wildcards, and
-- default deny; coord.check_network_access(domain_or_url) for agents; the admin API.
--
-- Normalisation (coord_private.normalize_host, PL/pgSQL only, no extension):
--   * surrounding blanks trimmed; control characters and inner blanks refused;
--   * a scheme (https://, ssh://, //) is dropped; the authority ends at the first
--     / ? # or \ (a backslash ends it too, as browsers treat it like /);
--   * userinfo is dropped up to the LAST @ (https://github.com@evil.net/ is evil.net);
--   * a port is dropped (host:443, [::1]:8080); any other colon is refused;
--   * the ideographic full stops 。 ． ｡ are dots; the host is NFC-normalised and lower
--     cased (lower() under the database's ctype: full Unicode in a UTF-8 locale);
--   * one trailing dot is removed (github.com. is github.com);
--   * every label with a non-ASCII character becomes 'xn--' || its RFC 3492 punycode
--     (coord_private.punycode_encode); every label must then be 1-63 characters of
--     a-z 0-9 _ -, not starting or ending with -; the name at most 253 characters.
--     '_' is a literal character of a label; '%' is refused (no percent-decoding);
--   * IP literals: a name whose last label is numeric (or 0x...) must be a dotted-quad
--     IPv4 address without leading zeros, else it is refused (127.1, 0x7f.0.0.1,
--     2130706433 and 010.0.0.1 are ambiguous spellings of other addresses); IPv6 is
--     given in brackets (or bare, without a port) and canonicalised through inet to
--     [host]. IP literals are matched by exact rules only, never by a wildcard.
--   Bad input raises PC002 with DETAIL and HINT (PC001 for NULL).
--
-- Matching: a rule's pattern is a normalised host name, IP literal, or '*.' + host
-- name. '*.github.com' matches api.github.com and a.b.github.com, not github.com,
-- github.com.evil.net or evilgithub.com. The candidates of a domain are the domain
-- itself and '*.' + each of its proper suffixes (api.github.com: api.github.com,
-- *.github.com, *.com), compared with = — no LIKE, so % and _ are literal. Among the
-- rules that apply to the caller (global ones, and those of the caller's profile)
-- and match, the highest priority wins, at equal priority deny wins (then the more
-- specific pattern, then a profile rule, then the older rule); no match: deny.
-- The verdict goes to the policy hook as context.network_verdict (with the rule),
-- so the engine (native or Cedar) decides domain_denied and every decision is
-- audited; coord_private.network_decisions indexes the decisions by event.
BEGIN;
SET LOCAL ROLE coord_owner;

INSERT INTO coord_private.operations (name, category, min_trust, description) VALUES
    ('add_network_rule',    'admin', 4, 'add or replace a domain allow/deny rule (global or per profile)'),
    ('remove_network_rule', 'admin', 4, 'remove a domain allow/deny rule'),
    ('network_access',      'agent', 1, 'ask whether the caller may reach a domain or URL (default deny)');

CREATE TABLE coord_private.network_rules (
    rule_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    profile     text REFERENCES coord_private.profiles (name) ON UPDATE CASCADE ON DELETE CASCADE,  -- NULL: global
    pattern     text NOT NULL CHECK (pattern ~ '^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$|^\[[0-9a-f:.]+\]$'
                                     AND pg_catalog.length(pattern) <= 255),
    action      text NOT NULL CHECK (action IN ('allow', 'deny')),
    priority    integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
    description text NOT NULL DEFAULT '' CHECK (pg_catalog.length(description) <= 1000),
    created_by  text NOT NULL DEFAULT session_user,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE NULLS NOT DISTINCT (profile, pattern)
);
COMMENT ON TABLE coord_private.network_rules IS
    'domain allow/deny rules: pattern a normalised host, IP literal or *.host; profile NULL = global; highest priority wins, deny wins ties; no match = deny';
CREATE INDEX network_rules_pattern_idx ON coord_private.network_rules (pattern);
ALTER TABLE coord_private.network_rules ENABLE ROW LEVEL SECURITY;

CREATE TABLE coord_private.network_decisions (
    event_id   bigint PRIMARY KEY,
    agent      text NOT NULL,
    target     text NOT NULL,
    domain     text NOT NULL,
    verdict    text NOT NULL CHECK (verdict IN ('allow', 'deny')),
    rule_id    bigint,          -- the deciding rule (no foreign key: a rule may be removed later)
    proceeded  boolean NOT NULL
);
COMMENT ON TABLE coord_private.network_decisions IS
    'every network access decision, keyed by its audit event (the audit event is the record; this is its index by domain)';
CREATE INDEX network_decisions_domain_idx ON coord_private.network_decisions (domain);
ALTER TABLE coord_private.network_decisions ENABLE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------- normalisation
-- RFC 3492 (Bootstring with the punycode parameters) for one label: the part after
-- 'xn--'. Code points come from ascii(), which returns the code point in UTF-8.
CREATE FUNCTION coord_private.punycode_encode(p_label text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
AS $$
DECLARE
    cps integer[];
    len integer;
    c integer;
    n integer := 128;           -- initial_n
    delta bigint := 0;
    bias integer := 72;         -- initial_bias
    h integer;
    b integer;
    m integer;
    q bigint;
    k integer;
    t integer;
    d bigint;
    digit integer;
    v_out text := '';
BEGIN
    SELECT pg_catalog.array_agg(pg_catalog.ascii(u.ch) ORDER BY u.o) INTO cps
      FROM pg_catalog.unnest(pg_catalog.string_to_array(p_label, NULL)) WITH ORDINALITY AS u(ch, o);
    len := coalesce(pg_catalog.cardinality(cps), 0);
    FOR i IN 1 .. len LOOP
        IF cps[i] < 128 THEN
            v_out := v_out || pg_catalog.chr(cps[i]);
        END IF;
    END LOOP;
    b := pg_catalog.length(v_out);
    h := b;
    IF b > 0 THEN
        v_out := v_out || '-';
    END IF;
    WHILE h < len LOOP
        SELECT pg_catalog.min(x) INTO m FROM pg_catalog.unnest(cps) x WHERE x >= n;
        delta := delta + (m - n)::bigint * (h + 1);
        n := m;
        FOR i IN 1 .. len LOOP
            c := cps[i];
            IF c < n THEN
                delta := delta + 1;
            END IF;
            IF c = n THEN
                q := delta;
                k := 36;                                        -- base
                LOOP
                    t := CASE WHEN k <= bias THEN 1             -- tmin
                              WHEN k >= bias + 26 THEN 26       -- tmax
                              ELSE k - bias END;
                    EXIT WHEN q < t;
                    digit := (t + (q - t) % (36 - t))::integer;
                    v_out := v_out || pg_catalog.chr(CASE WHEN digit < 26 THEN 97 + digit ELSE 22 + digit END);
                    q := (q - t) / (36 - t);
                    k := k + 36;
                END LOOP;
                v_out := v_out || pg_catalog.chr(CASE WHEN q < 26 THEN 97 + q::integer ELSE 22 + q::integer END);
                -- adapt(delta, h + 1, h = b)
                d := CASE WHEN h = b THEN delta / 700 ELSE delta / 2 END;   -- damp
                d := d + d / (h + 1);
                k := 0;
                WHILE d > ((36 - 1) * 26) / 2 LOOP
                    d := d / (36 - 1);
                    k := k + 36;
                END LOOP;
                bias := (k + (36 * d) / (d + 38))::integer;          -- skew
                delta := 0;
                h := h + 1;
            END IF;
        END LOOP;
        delta := delta + 1;
        n := n + 1;
    END LOOP;
    RETURN v_out;
END
$$;
COMMENT ON FUNCTION coord_private.punycode_encode(text) IS
    'RFC 3492 punycode of one label (without the xn-- prefix): bücher -> bcher-kva';

CREATE FUNCTION coord_private.bad_host(p_target text, p_detail text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PC002',
        MESSAGE = pg_catalog.format('invalid host name or URL %L', pg_catalog.left(p_target, 200)),
        DETAIL = p_detail || '; nothing was decided or recorded',
        HINT = 'give a host name (api.github.com), a URL (https://api.github.com/x), a dotted-quad IPv4 address or a bracketed IPv6 address';
END
$$;
COMMENT ON FUNCTION coord_private.bad_host(text, text) IS 'raises PC002 for a host or URL that cannot be normalised';

-- An IP literal canonicalised through inet (PC002 unless it is one address of the family).
CREATE FUNCTION coord_private.ip_literal(p_target text, p_host text, p_family integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v inet;
BEGIN
    BEGIN
        v := p_host::inet;
    EXCEPTION WHEN invalid_text_representation THEN
        PERFORM coord_private.bad_host(p_target, pg_catalog.format('%L is not an IPv%s address', p_host, p_family));
    END;
    IF pg_catalog.family(v) <> p_family OR pg_catalog.masklen(v) <> (CASE WHEN p_family = 4 THEN 32 ELSE 128 END) THEN
        PERFORM coord_private.bad_host(p_target, pg_catalog.format('%L is not a single IPv%s address', p_host, p_family));
    END IF;
    RETURN pg_catalog.host(v);
END
$$;
COMMENT ON FUNCTION coord_private.ip_literal(text, text, integer) IS 'the canonical text of an IPv4/IPv6 address, or PC002';

CREATE FUNCTION coord_private.normalize_host(p_target text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v text;
    v_rest text;
    v_labels text[];
    v_label text;
    v_out text[] := '{}';
BEGIN
    IF p_target IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'host name or URL must not be NULL',
            DETAIL = 'nothing was decided or recorded', HINT = 'give a host name or URL, e.g. https://api.github.com/';
    END IF;
    v := pg_catalog.btrim(p_target, E' \t\r\n');
    IF v = '' THEN
        PERFORM coord_private.bad_host(p_target, 'the host name is empty');
    END IF;
    IF pg_catalog.length(v) > 2048 THEN
        PERFORM coord_private.bad_host(p_target, pg_catalog.format('%s characters (at most 2048)', pg_catalog.length(v)));
    END IF;
    IF v ~ '[[:cntrl:][:space:]]' THEN
        PERFORM coord_private.bad_host(p_target, 'control characters or blanks inside the host name or URL');
    END IF;

    -- scheme, then the authority (up to / ? # or \), then userinfo up to the last @
    IF v ~ '^[A-Za-z][A-Za-z0-9+.-]*://' THEN
        v := pg_catalog.regexp_replace(v, '^[A-Za-z][A-Za-z0-9+.-]*://', '');
    ELSIF pg_catalog.left(v, 2) = '//' THEN
        v := pg_catalog.substr(v, 3);
    END IF;
    v := pg_catalog.substring(v, '^[^/?#\\]*');
    IF pg_catalog.strpos(v, '@') > 0 THEN
        v := pg_catalog.regexp_replace(v, '^.*@', '');
    END IF;

    -- IPv6: bracketed (with an optional port), or bare without a port
    IF pg_catalog.left(v, 1) = '[' THEN
        v_rest := pg_catalog.substring(v, '^\[[^]]*\](.*)$');
        IF v_rest IS NULL OR (v_rest <> '' AND v_rest !~ '^:[0-9]{0,5}$') THEN
            PERFORM coord_private.bad_host(p_target, 'a bracketed IPv6 address must be [address] or [address]:port');
        END IF;
        RETURN '[' || coord_private.ip_literal(p_target, pg_catalog.substring(v, '^\[([^]]*)\]'), 6) || ']';
    END IF;
    IF v ~ '^[0-9A-Fa-f:.]+$' AND v ~ ':.*:' THEN
        RETURN '[' || coord_private.ip_literal(p_target, v, 6) || ']';
    END IF;

    -- port
    IF pg_catalog.strpos(v, ':') > 0 THEN
        IF v !~ '^[^:]*:[0-9]{0,5}$' THEN
            PERFORM coord_private.bad_host(p_target, 'a colon that does not start a port number');
        END IF;
        v := pg_catalog.split_part(v, ':', 1);
    END IF;

    v := pg_catalog.lower(pg_catalog.normalize(pg_catalog.translate(v, '。．｡', '...'), 'NFC'));
    IF pg_catalog.right(v, 1) = '.' THEN
        v := pg_catalog.left(v, -1);
    END IF;
    IF v = '' THEN
        PERFORM coord_private.bad_host(p_target, 'the host name is empty');
    END IF;
    v_labels := pg_catalog.string_to_array(v, '.');

    -- IPv4: any name whose last label is numeric must be a dotted quad
    IF v_labels[pg_catalog.cardinality(v_labels)] ~ '^(0x[0-9a-f]*|[0-9]+)$' THEN
        IF v !~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$' THEN
            PERFORM coord_private.bad_host(p_target,
                'a numeric host must be a dotted-quad IPv4 address without leading zeros (127.1, 0x7f.0.0.1 and 010.0.0.1 are ambiguous)');
        END IF;
        RETURN coord_private.ip_literal(p_target, v, 4);
    END IF;

    FOREACH v_label IN ARRAY v_labels LOOP
        IF v_label = '' THEN
            PERFORM coord_private.bad_host(p_target, 'an empty label (two dots in a row, or a leading dot)');
        END IF;
        IF v_label ~ '[^\x01-\x7f]' THEN
            v_label := 'xn--' || coord_private.punycode_encode(v_label);
        END IF;
        IF v_label !~ '^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$' THEN
            PERFORM coord_private.bad_host(p_target, pg_catalog.format(
                'label %L: 1 to 63 characters of a-z 0-9 _ -, not starting or ending with - (%% and other characters are not allowed)',
                pg_catalog.left(v_label, 80)));
        END IF;
        v_out := v_out || v_label;
    END LOOP;
    v := pg_catalog.array_to_string(v_out, '.');
    IF pg_catalog.length(v) > 253 THEN
        PERFORM coord_private.bad_host(p_target, pg_catalog.format('the name has %s characters (at most 253)', pg_catalog.length(v)));
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION coord_private.normalize_host(text) IS
    'the host a domain or URL names: scheme, userinfo, port, path dropped; lower case, NFC, IDN to punycode, trailing dot removed; IP literals canonical; PC001/PC002';

-- A rule pattern: a host name, an IP literal, or '*.' + a host name (PC012 otherwise).
CREATE FUNCTION coord_private.network_pattern(p_pattern text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v text;
    v_wild boolean := false;
    v_host text;
    v_detail text;
BEGIN
    IF p_pattern IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'network rule pattern must not be NULL',
            DETAIL = 'nothing was changed', HINT = 'a host name (github.com) or a wildcard (*.github.com)';
    END IF;
    v := pg_catalog.btrim(p_pattern);
    IF pg_catalog.left(v, 2) = '*.' THEN
        v_wild := true;
        v := pg_catalog.substr(v, 3);
    END IF;
    IF v = '' OR (v ~ '[*/?#@%\\[:space:]]' OR (v ~ ':' AND v !~ '^\[.*\]$')) THEN
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('invalid network rule pattern %L', pg_catalog.left(p_pattern, 200)),
            DETAIL = 'a pattern is a host name, an IP address (IPv6 in brackets), or *. followed by a host name; '
                     'no other wildcard, scheme, port, path or userinfo; nothing was changed',
            HINT = 'e.g. github.com, *.github.com, 10.0.0.1, [2001:db8::1]';
    END IF;
    BEGIN
        v_host := coord_private.normalize_host(v);
    EXCEPTION WHEN SQLSTATE 'PC002' THEN
        GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('invalid network rule pattern %L', pg_catalog.left(p_pattern, 200)),
            DETAIL = v_detail, HINT = 'e.g. github.com, *.github.com, 10.0.0.1, [2001:db8::1]';
    END;
    IF v_wild AND (pg_catalog.left(v_host, 1) = '[' OR v_host ~ '^[0-9.]+$') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC012',
            MESSAGE = pg_catalog.format('invalid network rule pattern %L', pg_catalog.left(p_pattern, 200)),
            DETAIL = 'a wildcard applies to host names, not to IP addresses; nothing was changed',
            HINT = 'name the address exactly, or use a CIDR-free list of exact rules';
    END IF;
    RETURN CASE WHEN v_wild THEN '*.' || v_host ELSE v_host END;
END
$$;
COMMENT ON FUNCTION coord_private.network_pattern(text) IS
    'the normalised form of a rule pattern (host, IP literal or *.host), or PC001/PC012';

-- The patterns that can match a normalised domain: itself and '*.' + each proper suffix.
CREATE FUNCTION coord_private.network_candidates(p_domain text)
RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT CASE WHEN pg_catalog.left(p_domain, 1) = '[' OR p_domain ~ '^[0-9.]+$' THEN ARRAY[p_domain]
                ELSE ARRAY[p_domain] || ARRAY(
                    SELECT '*.' || pg_catalog.array_to_string(l.labels[i:], '.')
                      FROM (SELECT pg_catalog.string_to_array(p_domain, '.') AS labels) l,
                           pg_catalog.generate_series(2, pg_catalog.cardinality(l.labels)) i
                     ORDER BY i)
           END
$$;
COMMENT ON FUNCTION coord_private.network_candidates(text) IS
    'a normalised domain and the wildcard patterns that cover it (*.github.com for api.github.com; never for github.com itself)';

-- The deciding rule for a domain and a profile (NULL: global rules only), or no row.
CREATE FUNCTION coord_private.network_rule_for(p_profile text, p_domain text)
RETURNS SETOF coord_private.network_rules
LANGUAGE sql STABLE
AS $$
    SELECT r.* FROM coord_private.network_rules r
     WHERE r.pattern = ANY (coord_private.network_candidates(p_domain))
       AND (r.profile IS NULL OR r.profile = p_profile)
     ORDER BY r.priority DESC, (r.action = 'deny') DESC, pg_catalog.length(r.pattern) DESC,
              (r.profile IS NOT NULL) DESC, r.rule_id
     LIMIT 1
$$;
COMMENT ON FUNCTION coord_private.network_rule_for(text, text) IS
    'the rule deciding a domain for a profile: highest priority, then deny, then the most specific pattern, then profile over global, then the oldest';

-- ---------------------------------------------------------------- the agent check
CREATE FUNCTION coord.check_network_access(p_target text,
    OUT allowed boolean, OUT reason text, OUT domain text, OUT rule jsonb, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    v_profile text;
    r coord_private.network_rules;
    v_verdict text;
BEGIN
    domain := coord_private.normalize_host(p_target);
    SELECT a.profile INTO v_profile FROM coord_private.agents a WHERE a.role_name = (session_user::text COLLATE "default");
    SELECT * INTO r FROM coord_private.network_rule_for(v_profile, domain);
    v_verdict := coalesce(r.action, 'deny');
    rule := CASE WHEN r.rule_id IS NOT NULL THEN pg_catalog.jsonb_build_object(
                'rule_id', r.rule_id, 'pattern', r.pattern, 'action', r.action,
                'priority', r.priority, 'profile', r.profile) END;
    v := coord_private.authorize('network_access', domain, pg_catalog.jsonb_build_object(
        'network_verdict', v_verdict, 'network_rule', rule, 'default_deny', r.rule_id IS NULL,
        'domain', domain, 'target', pg_catalog.left(p_target, 200)));
    INSERT INTO coord_private.network_decisions (event_id, agent, target, domain, verdict, rule_id, proceeded)
    VALUES (v.event_id, session_user, pg_catalog.left(p_target, 2048), domain, v_verdict, r.rule_id, v.proceed);
    allowed := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.check_network_access(text) IS
    'agent (trust >= 1): may the caller reach this domain or URL? Normalised (scheme, userinfo, port, path dropped; lower case; '
    'trailing dot; IDN to punycode), matched against the global rules and those of the caller''s profile (highest priority wins, '
    'deny wins ties, no match denies), decided by the policy engine (domain_denied) and audited; returns the normalised domain and '
    'the deciding rule. Errors PC001, PC002';

-- ---------------------------------------------------------------- admin API
CREATE FUNCTION coord.add_network_rule(p_pattern text, p_action text, p_priority integer DEFAULT 0,
    p_profile text DEFAULT NULL, p_description text DEFAULT '',
    OUT ok boolean, OUT reason text, OUT rule_id bigint, OUT normalized_pattern text, OUT replaced boolean,
    OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
BEGIN
    normalized_pattern := coord_private.network_pattern(p_pattern);
    IF p_action IS NULL OR p_priority IS NULL OR p_description IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'add_network_rule: only the profile may be NULL',
            DETAIL = 'nothing was changed', HINT = 'a NULL profile makes a global rule';
    END IF;
    IF p_action NOT IN ('allow', 'deny') THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002',
            MESSAGE = pg_catalog.format('invalid network rule action %L', pg_catalog.left(p_action, 80)),
            DETAIL = 'nothing was changed', HINT = 'allow or deny';
    END IF;
    IF p_priority NOT BETWEEN -1000 AND 1000 OR pg_catalog.length(p_description) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'network rule priority or description out of range',
            DETAIL = pg_catalog.format('priority %s (-1000 .. 1000), description of %s characters (at most 1000); nothing was changed',
                                       p_priority, pg_catalog.length(p_description)),
            HINT = 'the highest priority wins; at equal priority deny wins';
    END IF;
    IF p_profile IS NOT NULL THEN
        PERFORM coord_private.require_profile(p_profile);
    END IF;
    replaced := EXISTS (SELECT 1 FROM coord_private.network_rules x
                         WHERE x.profile IS NOT DISTINCT FROM p_profile AND x.pattern = normalized_pattern);
    v := coord_private.authorize('add_network_rule', normalized_pattern, pg_catalog.jsonb_build_object(
        'action', p_action, 'priority', p_priority, 'profile', p_profile, 'given', p_pattern, 'replaced', replaced));
    IF v.proceed THEN
        INSERT INTO coord_private.network_rules AS x (profile, pattern, action, priority, description, created_by, created_at)
        VALUES (p_profile, normalized_pattern, p_action, p_priority, p_description, session_user, pg_catalog.now())
        ON CONFLICT (profile, pattern) DO UPDATE SET
            action = EXCLUDED.action, priority = EXCLUDED.priority, description = EXCLUDED.description,
            created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at
        RETURNING x.rule_id INTO rule_id;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.add_network_rule(text, text, integer, text, text) IS
    'coord_admin: add (or replace, same profile and pattern) a domain rule: pattern host / IP / *.host (normalised like '
    'check_network_access), action allow or deny, priority -1000 .. 1000 (highest wins; deny wins ties), profile NULL for '
    'a global rule; audited. Errors PC001, PC002, PC006, PC012';

CREATE FUNCTION coord.remove_network_rule(p_rule_id bigint, p_reason text,
    OUT ok boolean, OUT reason text, OUT event_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v coord_private.verdict;
    r coord_private.network_rules;
BEGIN
    IF p_rule_id IS NULL OR p_reason IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PC001', MESSAGE = 'rule id and reason must not be NULL',
            DETAIL = 'nothing was changed', HINT = 'rule ids are in coord.network_rules';
    END IF;
    IF pg_catalog.length(pg_catalog.btrim(p_reason)) = 0 OR pg_catalog.length(p_reason) > 1000 THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = 'removing a network rule needs a reason of 1 to 1000 characters',
            DETAIL = 'nothing was changed', HINT = 'the reason is recorded in the audit trail';
    END IF;
    SELECT * INTO r FROM coord_private.network_rules x WHERE x.rule_id = p_rule_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PC002', MESSAGE = pg_catalog.format('unknown network rule %s', p_rule_id),
            DETAIL = 'no network rule has this id; nothing was changed', HINT = 'SELECT rule_id, pattern FROM coord.network_rules';
    END IF;
    v := coord_private.authorize('remove_network_rule', r.pattern,
        pg_catalog.jsonb_build_object('why', p_reason, 'rule', pg_catalog.to_jsonb(r)));
    IF v.proceed THEN
        DELETE FROM coord_private.network_rules x WHERE x.rule_id = p_rule_id;
    END IF;
    ok := v.proceed; reason := v.reason; event_id := v.event_id;
END
$$;
COMMENT ON FUNCTION coord.remove_network_rule(bigint, text) IS
    'coord_admin: remove a domain rule (the removed rule is kept in the audit event); audited with its reason. Errors PC001, PC002';

CREATE VIEW coord.network_rules AS
    SELECT r.rule_id, r.profile, r.pattern, r.action, r.priority, r.description, r.created_by, r.created_at
      FROM coord_private.network_rules r;
COMMENT ON VIEW coord.network_rules IS
    'coord_admin, coord_auditor: the domain rules (profile NULL = global; highest priority wins, deny wins ties; no match = deny)';

REVOKE ALL ON FUNCTION coord.check_network_access(text), coord.add_network_rule(text, text, integer, text, text),
    coord.remove_network_rule(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION coord.check_network_access(text) TO coord_agent;
GRANT EXECUTE ON FUNCTION coord.add_network_rule(text, text, integer, text, text),
    coord.remove_network_rule(bigint, text) TO coord_admin;
GRANT SELECT ON coord.network_rules TO coord_admin, coord_auditor;

COMMIT;
