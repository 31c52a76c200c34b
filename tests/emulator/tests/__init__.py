"""The emulator checked against the documented protocol."""
