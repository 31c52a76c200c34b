"""The portal gateway: the only code that talks to Bitrix24 portals."""

from b24app.gateway.client import BatchResult, Command, PortalClient
from b24app.gateway.errors import (
    AuthRevoked,
    PortalCallError,
    PortalError,
    PortalUnavailable,
)

__all__ = [
    "AuthRevoked",
    "BatchResult",
    "Command",
    "PortalCallError",
    "PortalClient",
    "PortalError",
    "PortalUnavailable",
]
