-- Serialises the changes of one (rule, territory) between this process's tasks and replicas.
SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))
