"""clients tables."""
