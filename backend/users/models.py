"""users tables."""
