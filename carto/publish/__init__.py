"""What the directory publishes for other programs: exports, OGC API – Features, the embeddable map's options."""
