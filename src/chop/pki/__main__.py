"""``python -m chop.pki`` entry point (see :mod:`chop.pki.cli`)."""

import sys

from .cli import main

sys.exit(main())
