-- Every problem of every chain, found set-wise and in parallel: each event is judged
-- against its own hash, its predecessor (a join on (chain_id, seq - 1), which a
-- parallel hash join answers; the window functions this replaces sorted the whole
-- trail twice, in one process), the chain start (genesis or retention anchor) when
-- it has none, and the reason catalogue (the foreign key that checked reasons at
-- every append is gone: audit_verification). Each chain's head is then checked against the
-- chain's last event (one index probe per chain), which catches removal at a tail.
-- One problem per event, in this order: altered, unknown reason, gap, broken link,
-- head missing.
CREATE OR REPLACE FUNCTION coord_private.audit_problems()
RETURNS TABLE (event_id bigint, chain_id integer, seq bigint, problem text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT e.event_id, e.chain_id, e.seq,
           CASE
             WHEN e.hash <> coord_private.audit_event_hash(e.prev_hash, e.chain_id, e.seq, e.occurred_at,
                      e.actor, e.operation, e.resource, e.allowed, e.proceeded, e.reason, e.engine,
                      e.mode, e.context)
               THEN 'event altered: its content does not match its hash'
             WHEN rc.code IS NULL
               THEN 'event names a reason the reason catalogue does not hold'
             WHEN p.seq IS NULL AND e.seq <> coalesce(an.seq, 0) + 1
               THEN 'events removed before this one (sequence gap)'
             WHEN p.seq IS NULL AND e.prev_hash <> coalesce(an.hash, coord_private.audit_genesis(e.chain_id))
               THEN 'chain broken: the first event does not link to the chain start'
             WHEN p.seq IS NOT NULL AND e.prev_hash <> p.hash
               THEN 'chain broken: prev_hash does not match the previous event (inserted or rewritten)'
             WHEN p.seq IS NULL AND h.chain_id IS NULL
               THEN 'chain head missing'
           END
      FROM coord_private.audit_events e
      LEFT JOIN coord_private.audit_events p ON p.chain_id = e.chain_id AND p.seq = e.seq - 1
      LEFT JOIN coord_private.reason_codes rc ON rc.code = e.reason
      LEFT JOIN coord_private.audit_anchors an ON an.chain_id = e.chain_id
      LEFT JOIN coord_private.audit_chain_heads h ON h.chain_id = e.chain_id
    UNION ALL
    -- each head against its chain's last event; a head beyond its anchor whose chain
    -- has no event left: the tail was removed
    SELECT last.event_id, h.chain_id, coalesce(last.seq, h.seq),
           CASE WHEN last.event_id IS NULL
                THEN 'every event of the chain after its start was removed'
                ELSE 'events removed after this one, or the chain head was altered' END
      FROM coord_private.audit_chain_heads h
      LEFT JOIN coord_private.audit_anchors an ON an.chain_id = h.chain_id
      LEFT JOIN LATERAL (SELECT x.event_id, x.seq, x.hash FROM coord_private.audit_events x
                          WHERE x.chain_id = h.chain_id ORDER BY x.seq DESC LIMIT 1) last ON true
     WHERE CASE WHEN last.event_id IS NULL THEN h.seq > coalesce(an.seq, 0)
                ELSE h.seq <> last.seq OR h.head_hash <> last.hash END
$$;
COMMENT ON FUNCTION coord_private.audit_problems() IS
    'every inconsistency of the audit chains, judged in parallel (NULL problem rows are filtered by callers)';
