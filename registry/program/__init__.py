"""The bonus program: the versioned document, its rules and formula, what a deal looks like to it,
bounded templates and edge parsers. Needs a session (or nothing); imports only ``b24app``."""
