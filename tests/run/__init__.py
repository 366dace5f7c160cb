"""Tests of rekit.run on a real local Dask cluster (a package, so its conftest is `run.conftest` and never
takes the name `conftest` that tests import their shared helpers from)."""
