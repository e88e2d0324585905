"""Helpers shared by tests and the benchmarks; not part of the shipped package."""
