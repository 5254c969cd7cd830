"""``python -m nststudy ...`` is the ``nststudy`` command."""

from .cli import main

raise SystemExit(main())
