"""The unit-of-work owners: one transaction per command (an inbound call, a frame, a console
command) and the lane steps, which read the portal through ``registry.sync`` outside any
transaction and then apply what they read in short transactions. The only registry code that
calls ``Database.transaction()``."""
