"""pgcoord: coordination for fleets of AI coding agents, enforced inside PostgreSQL."""
__version__ = "0.1.0"
