"""Kernels for the report runner: a pool started ahead of need, forked from a warm server."""
