"""Benchmarks: programs that print figures; never run as tests."""
