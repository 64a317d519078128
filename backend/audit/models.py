"""audit tables."""
