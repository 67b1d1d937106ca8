"""``python -m autograd.selfcheck``: see ``autograd.selfcheck``."""

from autograd.selfcheck import main

raise SystemExit(main())
