"""Reading the directory: filters, text and box search, pages, clusters, territory look-ups, supplier search."""
