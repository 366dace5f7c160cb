"""``python -m rekit.cli``: the rekit command."""

from rekit.cli import script

script()
