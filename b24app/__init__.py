"""Infrastructure only: configuration, database and unit of work, clock, logs, jobs (Huey), lanes,
the outbox machine, the inbox, schedules, the portal gateway (the only code that talks HTTP to
portals and the OAuth server) and SMS. It imports no application package; its entry shims
(``cli``, ``worker``, ``wsgi``) call ``bootstrap``."""
