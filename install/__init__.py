"""Installing the app on a portal: ``spec`` and ``provision`` (what we create, talking to the portal),
``confirm`` (the OAuth server and the portal vouch for installs and uninstalls) and ``services``
(the install, provisioning, uninstall and status commands — the unit-of-work owners)."""
