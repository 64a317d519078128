"""Decisions with a lifecycle: snapshots of what the model saw, revisions, contests, reviews,
and the reproduction of any past decision from the registry."""
