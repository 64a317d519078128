"""auth tables."""
