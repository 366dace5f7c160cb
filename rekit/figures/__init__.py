"""The figures layer: plotly charts with their sources, headline tables, rendering, images.

Modules: ``charts`` (one function per chart, each with its sources under it), ``headlines``
(the small rounded tables the notebooks print), ``render`` (the plotly renderer that works in
JupyterLab and in offline reports), ``images`` (static PNG/SVG/PDF through kaleido).

Nothing here imports papermill, nbconvert or the report runner.
"""
