"""Kept so that ``rekit.params.check`` (the call at the top of every notebook) keeps working.

The registry and the check live in :mod:`rekit.parameters.registry`, the spec types in
:mod:`rekit.parameters.specs`.
"""

from rekit.parameters.registry import ParameterError, check, check_parameters, declared, defaults

__all__ = ["ParameterError", "check", "check_parameters", "declared", "defaults"]
