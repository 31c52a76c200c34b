"""Application shell: configuration, database, jobs and the portal gateway."""
