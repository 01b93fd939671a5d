CREATE OR REPLACE FUNCTION coord.get_task(p_task_id bigint)
RETURNS SETOF coord.tasks
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = ''
AS $$
BEGIN
    PERFORM coord_private.require_task(p_task_id);
    RETURN QUERY SELECT * FROM coord.tasks t WHERE t.task_id = p_task_id;
END
$$;
COMMENT ON FUNCTION coord.get_task(bigint) IS 'agent: one task with its effective status. Errors PC001, PC005';
