"""Provisioning a portal: accepting the install, creating our objects there, uninstalling."""
