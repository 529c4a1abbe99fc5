"""The office tests' boxes, seeded stores, HTTP servers and PostgreSQL cluster."""
