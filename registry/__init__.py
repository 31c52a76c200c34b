"""Everything about bonuses. The sub-packages say what their code may do:

* ``ledger``, ``program`` — need only a database session (or nothing);
* ``bonuses`` — bonus policy on top of them, a session only;
* ``sync``, ``messages`` — talk to the portal (adapters, no transactions);
* ``services`` — own the unit of work: one transaction per command or lane-step phase.
"""
