"""Benchmarks run by ``make bench``; each prints measurements side by side and their ratio."""
