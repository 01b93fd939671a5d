-- Revert pgcoord:cedar_evaluator
-- Nothing to undo: the module is the code the cedar_engine change installed
-- inline before v0.5.0, reorganised, and it stays installed (the evaluator is
-- not versioned by tag: every install reads the module in the tree).
SELECT 'cedar_evaluator: the evaluator stays' AS reverted;
