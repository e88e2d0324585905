"""Chop: electronic company seals and PAdES contract signing."""
