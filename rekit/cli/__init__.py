"""The ``rekit`` command line, one module per command group."""
