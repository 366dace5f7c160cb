"""The model layer: partner deals as data, the Monte Carlo over deals × years × draws, metrics.

Modules: ``deals`` (``data/deals.yml`` and users' deal files read into a ``DealBook``),
``quantities`` (ranged, sourced parameters and schedules), ``conversions`` (stoichiometric
factors from atomic weights), ``simulation`` (``simulate()`` and its ``Result``), ``metrics``
(the field's standard ratios, each with its reference), ``supply`` (world production and its
concentration).

Nothing here imports plotting, notebooks or reports.
"""

from rekit.model.deals import DealBook, DealError, load_deals
from rekit.model.simulation import METRICS, ModelError, Result, simulate

__all__ = ["DealBook", "DealError", "METRICS", "ModelError", "Result", "load_deals", "simulate"]
