"""``python -m nn.selfcheck``: gradcheck every op, nn kernel, layer and loss."""

import sys

import nn.selfcheck  # noqa: F401  (registers nn's rows)
from autograd.selfcheck import main

sys.exit(main())
