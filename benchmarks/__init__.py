"""Benchmarks of irncodec (run as ``python -m benchmarks.<name>``)."""
