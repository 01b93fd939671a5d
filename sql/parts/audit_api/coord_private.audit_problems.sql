-- Every problem of every chain, found set-wise: content vs stored hash, sequence
-- gaps, links to the previous event (or the genesis / retention anchor), and the
-- chain head (which catches removal at a chain's tail).
CREATE OR REPLACE FUNCTION coord_private.audit_problems()
RETURNS TABLE (event_id bigint, chain_id integer, seq bigint, problem text)
LANGUAGE sql STABLE
AS $$
    WITH ev AS (
        SELECT e.*,
               pg_catalog.lag(e.hash) OVER w AS lag_hash,
               pg_catalog.lag(e.seq) OVER w AS lag_seq,
               pg_catalog.row_number() OVER w AS rn,
               pg_catalog.row_number() OVER (PARTITION BY e.chain_id ORDER BY e.seq DESC) AS rn_desc
          FROM coord_private.audit_events e
        WINDOW w AS (PARTITION BY e.chain_id ORDER BY e.seq)
    )
    SELECT ev.event_id, ev.chain_id, ev.seq,
           CASE
             WHEN ev.hash <> coord_private.audit_event_hash(ev.prev_hash, ev.chain_id, ev.seq, ev.occurred_at,
                      ev.actor, ev.operation, ev.resource, ev.allowed, ev.proceeded, ev.reason, ev.engine,
                      ev.mode, ev.context)
               THEN 'event altered: its content does not match its hash'
             WHEN ev.rn = 1 AND ev.seq <> coalesce(an.seq, 0) + 1
               THEN 'events removed before this one (sequence gap at the chain start)'
             WHEN ev.rn = 1 AND ev.prev_hash <> coalesce(an.hash, coord_private.audit_genesis(ev.chain_id))
               THEN 'chain broken: the first event does not link to the chain start'
             WHEN ev.rn > 1 AND ev.seq <> ev.lag_seq + 1
               THEN 'events removed before this one (sequence gap)'
             WHEN ev.rn > 1 AND ev.prev_hash <> ev.lag_hash
               THEN 'chain broken: prev_hash does not match the previous event (inserted or rewritten)'
             WHEN ev.rn_desc = 1 AND h.chain_id IS NULL
               THEN 'chain head missing'
             WHEN ev.rn_desc = 1 AND (h.seq <> ev.seq OR h.head_hash <> ev.hash)
               THEN 'events removed after this one, or the chain head was altered'
           END
      FROM ev
      LEFT JOIN coord_private.audit_anchors an ON an.chain_id = ev.chain_id
      LEFT JOIN coord_private.audit_chain_heads h ON h.chain_id = ev.chain_id
    UNION ALL
    -- a head whose chain has no event left beyond its anchor: the tail was removed
    SELECT NULL::bigint, h.chain_id, h.seq, 'every event of the chain after its start was removed'
      FROM coord_private.audit_chain_heads h
      LEFT JOIN coord_private.audit_anchors an ON an.chain_id = h.chain_id
     WHERE h.seq > coalesce(an.seq, 0)
       AND NOT EXISTS (SELECT 1 FROM coord_private.audit_events e WHERE e.chain_id = h.chain_id)
$$;
COMMENT ON FUNCTION coord_private.audit_problems() IS 'every inconsistency of the audit chains (NULL problem rows are filtered by callers)';
