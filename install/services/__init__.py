"""Install, provisioning, uninstall and status commands: each owns its transactions; network calls
happen outside them."""
