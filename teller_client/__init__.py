"""CounterGuard teller client core: configuration, service client, validation, workflow (no QtWidgets)."""
