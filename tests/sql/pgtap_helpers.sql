\ir actors.sql
\ir gate.sql
