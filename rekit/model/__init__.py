"""The model layer: partner deals as data, a material-flow system over deals × years × draws × elements, metrics.

Modules: ``deals`` (``data/deals.yml`` and users' deal files read into a ``DealBook``: production
and demand bases, deals), ``quantities`` (ranged, sourced parameters and schedules),
``conversions`` (stoichiometric factors from atomic weights, fiscal and part-year calendars),
``flows`` (the processes, flows and stocks of the system and its mass-balance check),
``simulation`` (``simulate()`` and its ``Result``, ``demand_bases()``), ``sensitivity`` (Morris
and Sobol with SALib), ``metrics`` (the field's standard ratios, each with its reference),
``supply`` (world production and its concentration), ``docs`` (the parameter table of the README).

Nothing here imports plotting, notebooks or reports.
"""

from rekit.model.deals import DealBook, DealError, load_deals
from rekit.model.simulation import METRICS, ModelError, Result, demand_bases, simulate

__all__ = ["DealBook", "DealError", "METRICS", "ModelError", "Result", "demand_bases", "load_deals", "simulate"]
