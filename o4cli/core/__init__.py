"""The core of o4: configuration, HTTP, catalog, cost and ledger. Never prints."""
