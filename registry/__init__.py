"""The bonus ledger, its rules and everything about bonuses; no HTTP in here."""
