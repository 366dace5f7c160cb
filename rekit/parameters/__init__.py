"""Notebook parameters: what a notebook may be given and the check every value passes.

`rekit.parameters.specs` holds the kinds of value (pydantic types: an integer in a range, a choice,
a list of deals, a period, ...), `rekit.parameters.registry` the shared parameter names (`SPECS`),
the reading of a notebook's ``parameters`` cell (`declared`) and `check`, which notebooks call as
``rekit.params.check`` and the report runner and the command line call before anything runs.

This layer sits above data and model (deal names and data-dependent bounds come from them) and
below reports and cli (tests/test_layers.py).
"""
