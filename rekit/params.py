"""Kept so that ``rekit.params.check`` (the call at the top of every notebook) keeps working.

The registry and the check live in :mod:`rekit.reports.params`, the spec types in
:mod:`rekit.reports.specs`.
"""

from rekit.reports.params import ParameterError, check, check_parameters, declared, defaults

__all__ = ["ParameterError", "check", "check_parameters", "declared", "defaults"]
