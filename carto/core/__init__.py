"""The vocabulary every layer shares, with no database: settings, text folding, the activity taxonomy, opening hours."""
