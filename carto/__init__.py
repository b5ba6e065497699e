"""Carto ESS: directory and map of the social and solidarity economy in Brittany."""
