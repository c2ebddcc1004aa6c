"""Benchmarks: run with `make bench`. They report numbers; nothing here asserts speed."""
