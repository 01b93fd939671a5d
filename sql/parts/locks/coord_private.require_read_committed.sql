CREATE OR REPLACE FUNCTION coord_private.require_read_committed()
RETURNS void LANGUAGE plpgsql STABLE 
AS $$
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'PC015',
            MESSAGE = pg_catalog.format('pgcoord mutations need READ COMMITTED, not %s', pg_catalog.current_setting('transaction_isolation')),
            DETAIL = 'conflicts are checked after taking coordination locks: an older snapshot could miss a grant that just committed',
            HINT = 'call pgcoord in autocommit or in a READ COMMITTED transaction';
    END IF;
END
$$;
COMMENT ON FUNCTION coord_private.require_read_committed() IS 'raises PC015 unless the transaction is READ COMMITTED';
