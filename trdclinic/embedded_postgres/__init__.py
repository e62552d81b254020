"""Django database backend: PostgreSQL from the pgserver package, started on first connection.

Used when DATABASE_URL is unset (see docs/adr/0001-embedded-postgresql.md). The server's data
folder lives inside the project; every process that connects shares one server, and the last
process to exit stops it.
"""
