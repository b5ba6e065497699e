"""People: accounts and scopes, contributions from the public, moderation, mail, rate limits, erasure of personal data."""
