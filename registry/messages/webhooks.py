"""The ``webhook`` outbox kind: one signed POST per owed event and endpoint, made by the worker
outside any transaction (b24app.webhooks); the outbox retries with backoff until a 2xx answer,
so every event arrives at least once, with its id for de-duplication."""

from __future__ import annotations

from sqlalchemy.orm import Session

from b24app import webhooks
from b24app.models import OutboxMessage
from b24app.outbox import Deliver, Outcome, Plan
from registry.bonuses import webhooks as owed
from registry.bonuses.api_models import WebhookEndpoint, WebhookSecret


class WebhookKind:
    kind = owed.KIND

    def plan(self, session: Session, message: OutboxMessage) -> Plan:
        payload = dict(message.payload)
        endpoint = session.get(WebhookEndpoint, int(payload.pop("endpoint_id")))
        secret = session.get(WebhookSecret, message.portal_id)
        if endpoint is None or endpoint.removed_at is not None or secret is None:
            return Plan(lambda _: Outcome())  # removed since: nothing is owed any more
        url, key = endpoint.url, secret.secret

        def send() -> Outcome:
            problem = webhooks.post(url, payload, key)
            return Outcome(error=problem) if problem else Outcome()

        return Plan(lambda _: Deliver(send))
