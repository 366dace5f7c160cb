"""Data flows one way: data -> model -> charts -> notebooks/reports. Nothing imports what stands above it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def modules_after_import(module: str) -> set[str]:
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("module, forbidden", [
    ("rekit.data", {"rekit.deals", "rekit.model", "rekit.charts", "plotly", "papermill", "frictionless"}),
    ("rekit.model", {"rekit.charts", "plotly", "papermill", "nbconvert"}),
    ("rekit.charts", {"papermill", "nbconvert", "rekit.reports"}),
])
def test_lower_layers_do_not_import_upper_ones(module, forbidden):
    loaded = modules_after_import(module)
    assert not (forbidden & loaded), f"{module} pulls in {sorted(forbidden & loaded)}"
