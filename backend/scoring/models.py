"""scoring tables."""
