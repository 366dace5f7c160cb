"""The executor the kit's heavy work runs on: one small interface, a local pool or a Dask cluster.

`rekit.run.executor` holds the interface (`Executor`: ``submit``, ``map``, ``as_completed``,
``close``, ``interrupt``, ``kill``, a context manager) and its two implementations: `LocalExecutor`
(``concurrent.futures.ProcessPoolExecutor``, ``--jobs N``) and `DaskExecutor`
(``dask.distributed.Client(address)``, ``--scheduler tcp://HOST:PORT`` or ``REKIT_SCHEDULER``);
`open_executor` picks one from the command line's options. `rekit.run.chunks` splits a
sensitivity design into chunks of rows on an executor, and writes and reads the samples and
results files of a run made elsewhere (SALib's advice for large runs).

This layer sits beside reports and teaching: it may use data and model, never figures, explore,
teaching, reports or cli (tests/test_layers.py).
"""
