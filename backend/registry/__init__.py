"""The model registry: immutable, hash-verified versions on disk; champion and challenger in the
database (shared by every API process); the challenger scored off the response path."""
