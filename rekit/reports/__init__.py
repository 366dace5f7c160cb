"""The reports layer: notebook parameters, batch jobs, kernels, the runner and offline HTML.

Modules: ``params`` (what a notebook's ``parameters`` cell accepts), ``specs`` (the kinds of
value, on pydantic), ``jobs`` (the batch file and one job per report), ``kernels/`` (starting
kernels fast and the papermill engine), ``runner`` (runs jobs in parallel and writes reports),
``html`` (offline HTML from the jinja2 templates in ``templates/``: report pages, the landing
page, the methods page), ``downloads`` (the CSV of the numbers a chart draws), ``citation``
(citing the kit and its sources), ``freeze`` (incremental builds), ``stored`` (the notebooks'
stored outputs: refresh and staleness checks).
"""
