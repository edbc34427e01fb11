"""CounterGuard's Qt widgets: thin views over teller_client, which holds every rule."""
