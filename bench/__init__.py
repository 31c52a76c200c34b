"""Demo and benchmark scripts run against the portal emulator."""
