"""Journalist lists: reading CSV/xlsx, cleaning and de-duplicating, segments, suppression."""
