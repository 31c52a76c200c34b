"""Reading the portal (adapters, no transactions): deals into ``DealSnapshot``s, robot documents and
callers, reconciliation listings, offline events, what healing compares. Each takes a portal client
and returns parsed data; imports ``registry.bonuses`` and below."""
