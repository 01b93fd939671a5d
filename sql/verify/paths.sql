-- Verify pgcoord:paths
BEGIN;
DO $$
BEGIN
    IF NOT coord_private.paths_overlap('src/', 'src/a.py')
       OR NOT coord_private.paths_overlap('src/**/*.py', 'src/a/b.py')
       OR coord_private.paths_overlap('src/*.py', 'src/*.js')
       OR coord_private.paths_overlap('src/a.py', 'src/b.py') THEN
        RAISE EXCEPTION 'verify paths: the overlap relation is wrong';
    END IF;
    IF coord_private.path_anchor('src/**/*.py') <> 'src/' THEN
        RAISE EXCEPTION 'verify paths: anchors are wrong';
    END IF;
END
$$;
ROLLBACK;
