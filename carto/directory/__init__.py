"""The directory of sites: what a site may contain, the one write path of sites (single and batch) and their public JSON, the demo data, and the service object."""
