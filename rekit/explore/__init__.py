"""The deal explorer: sliders over the partner-deal model, in JupyterLab.

``explore()`` opens it. Modules: ``state`` (what the controls say and the plain functions it
drives: ``State``, ``compute``, ``series``, ``headline_table``), ``figure`` (the plotly figure,
built once and restyled in place), ``panel`` (the panel's HTML, from ``templates/panel.html.j2``),
``widget`` (the ipywidgets ``Explorer`` and ``explore``). ``headline`` is ``headline_table`` under
the name the teaching notebooks use.
"""

from rekit.explore.figure import make_figure, update_figure
from rekit.explore.state import State, compute, headline_table
from rekit.explore.widget import Explorer, explore

headline = headline_table

__all__ = ["Explorer", "State", "compute", "explore", "headline", "headline_table", "make_figure", "update_figure"]
