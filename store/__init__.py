"""Persistence: the database engine and tables, accounts, audit trail, actual figures, layer
versions, import staging, backup and crash recovery. Knows nothing of Flask."""
