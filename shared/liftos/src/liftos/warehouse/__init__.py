"""Warehouse layer: ClickHouse access through clickhouse-connect (plus a dev-only embedded server)."""
