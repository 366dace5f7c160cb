"""The deal explorer: sliders over the partner-deal model, in JupyterLab.

``explore()`` opens it; the logic it drives (``State``, ``compute``, ``headline``) is plain
functions that tests and the teaching notebooks call too.
"""

from rekit.explore.explorer import State, compute, explore, headline, make_figure, update_figure

__all__ = ["State", "compute", "explore", "headline", "make_figure", "update_figure"]
