"""What runs a notebook on one of our kernels: the papermill engine that uses a kernel the pool
started (`register_engine`), the imports made once before worker threads run (`preload_modules`),
and the code a fresh kernel runs to import its notebook's modules ahead of it (`warm_code`)."""

from __future__ import annotations

import functools
from typing import Sequence

__all__ = ["ENGINE", "preload_modules", "register_engine", "warm_code"]

#: The papermill engine name `register_engine` registers.
ENGINE = "rekit-warm"


def warm_code(modules: Sequence[str]) -> str:
    """Code a fresh kernel runs (silently, outside the history) to import `modules` ahead of the notebook."""
    if not modules:
        return ""
    # Top-level code on purpose: the same imports made inside a function cost ~25% more CPU here.
    return (
        "import importlib as __rekit_importlib\n"
        f"for __rekit_m in {list(modules)!r}:\n"
        "    try:\n"
        "        __rekit_importlib.import_module(__rekit_m)\n"
        "    except Exception:  # not a module (from x import function), or it fails: the notebook will say\n"
        "        pass\n"
        "del __rekit_importlib, __rekit_m\n"
    )


def preload_modules() -> None:
    """Import what the worker threads use, once, in the calling thread: concurrent first imports of the
    same modules from several threads can fail (plotly's optional imports report a KeyError)."""
    import nbformat  # noqa: F401
    import papermill  # noqa: F401
    from jupyter_client.manager import AsyncKernelManager  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401

    from rekit.figures import render  # noqa: F401

    register_engine()


@functools.cache
def register_engine() -> str:
    """Register (once) a papermill engine that executes with a kernel manager we started (and closes
    its client); its name."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path"], **kwargs)
            safe = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                 log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final)
            try:
                return client.execute()
            finally:
                if client.kc is not None:  # we own the kernel, nbclient leaves its client open: close it
                    client.kc.stop_channels()
                    client.kc = None

    papermill_engines.register(ENGINE, WarmKernelEngine)
    return ENGINE
