"""Kernels for the report runner: a pool started ahead of need (``pool``), forked from a warm server
(``forkserver``), and the papermill engine that runs a notebook on one of them (``engine``)."""

from rekit.reports.kernels.engine import preload_modules, register_engine, warm_code
from rekit.reports.kernels.pool import KERNEL, Kernels

__all__ = ["KERNEL", "Kernels", "preload_modules", "register_engine", "warm_code"]
