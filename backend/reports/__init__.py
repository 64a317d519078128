"""One-page client report (PDF) for the credit file: built on demand, streamed, never stored."""
