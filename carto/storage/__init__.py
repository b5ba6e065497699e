"""The database: tables (SQLModel), engines for SQLite and PostgreSQL, migrations, indexes, backups, the data version."""
