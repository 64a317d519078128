"""portfolio tables."""
