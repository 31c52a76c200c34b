"""Every table of the application, so ``Base.metadata`` is complete (migrations, tests, tooling)."""

import b24app.models  # noqa: F401 - portals, leases, inbox, outbox, cursors
import registry.bonuses.api_models  # noqa: F401 - API keys, idempotent requests, webhooks
import registry.bonuses.audience  # noqa: F401 - client mirror, campaign awards and runs
import registry.bonuses.client_names  # noqa: F401 - the names the main page shows
import registry.bonuses.held_reads  # noqa: F401 - deal reads held between a lane's turns
import registry.bonuses.models  # noqa: F401 - deal states, notifications
import registry.bonuses.request_models  # noqa: F401 - approval requests
import registry.bonuses.reward_models  # noqa: F401 - deal rewards (offers, bundles), catalog cache
import registry.bonuses.tier_models  # noqa: F401 - won deals per client, client levels
import registry.ledger.models  # noqa: F401 - accounts, entries, lots, draws
import registry.program.models  # noqa: F401 - program versions
