"""``python -m chop.sealart``: see :mod:`chop.sealart.cli`."""

from .cli import main

raise SystemExit(main())
