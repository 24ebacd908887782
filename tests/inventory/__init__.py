"""Tests for the SQL inventory (schema, migrations, queries, database opening)."""
