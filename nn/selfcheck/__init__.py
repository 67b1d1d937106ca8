"""nn's rows of the op registry: its kernels, layers and losses.

Importing this module registers them with ``autograd.selfcheck`` (``autograd``
knows nothing of ``nn``); ``python -m nn.selfcheck`` checks them together with
the engine's rows.
"""

from autograd.selfcheck.cases import register
from nn.selfcheck import layers, losses

CASES = layers.CASES + losses.CASES
register(CASES)
