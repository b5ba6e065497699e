"""Geography: communes and the territories above them, pôles ESS and their coverage, point location, statistics."""
