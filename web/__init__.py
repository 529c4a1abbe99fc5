"""Local web pages and the HTTP API (FastAPI)."""
