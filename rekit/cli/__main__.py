"""``python -m rekit.cli``: the rekit command."""

import sys

from rekit.cli.app import main

sys.exit(main())
