"""Standard Webhooks: fan-out (``outbox``), signing and sending (``sender``), event sources."""
