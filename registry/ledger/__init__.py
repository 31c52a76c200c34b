"""The ledger: accounts, append-only entries, lots and draws, the posting API, the audit and read
views. Needs only a database session; imports nothing of the app but ``b24app`` (infrastructure)."""
