"""Bonus policy on top of the ledger and the program: the deal sync state machine, spending checks,
lifetime maths, robot deliveries, notification planning, what the mirror is owed (outbox rows) and
the words. Needs only a session and never commits; imports ``registry.ledger``, ``registry.program``
and ``b24app``."""
