-- Verify pgcoord:reads_api
BEGIN;
SELECT sqlstate, name, description FROM coord.error_codes WHERE false;
SELECT code, outcome, description FROM coord.reason_codes WHERE false;
SELECT enforcement_mode, policy_engine FROM coord.enforcement WHERE false;
SELECT role_name, registered, status, profile, trust_level FROM coord.whoami();
ROLLBACK;
