"""Writing to the portal (adapters, no transactions): the outbox kinds — registry items, stages, the
balance field, comments, workflow answers — run by the outbox machine (``b24app.outbox``), which
hands them a session. Imports ``registry.bonuses`` and below."""
