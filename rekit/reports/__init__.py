"""The reports layer: notebook parameters, batch jobs, kernels, the runner and offline HTML.

Modules: ``params`` (what a notebook's ``parameters`` cell accepts), ``specs`` (the kinds of
value, on pydantic), ``jobs`` (the batch file and one job per report), ``kernels/`` (starting
kernels fast and the papermill engine), ``runner`` (runs jobs in parallel and writes reports),
``html`` (offline HTML and the index), ``stored`` (the notebooks' stored outputs: refresh and
staleness checks).
"""
