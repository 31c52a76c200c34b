"""The portal gateway: the only code that talks to Bitrix24 portals."""

from b24app.gateway.client import BatchResult, Command, PortalClient
from b24app.gateway.errors import (
    AuthRevoked,
    CallerRejected,
    PortalCallError,
    PortalError,
    PortalGone,
    PortalUnavailable,
)

__all__ = [
    "AuthRevoked",
    "BatchResult",
    "CallerRejected",
    "Command",
    "PortalCallError",
    "PortalClient",
    "PortalError",
    "PortalGone",
    "PortalUnavailable",
]
