"""``python -m rekit.cli``: the rekit command."""

import sys

from rekit.cli import main

sys.exit(main())
