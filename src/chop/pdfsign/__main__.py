"""Entry point for ``python -m chop.pdfsign``."""

from .cli import main

raise SystemExit(main())
