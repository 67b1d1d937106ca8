"""nn: layers, losses, optimizers and training utilities built on ``autograd``."""

from . import data as data
from . import datasets as datasets
from . import metrics as metrics
from .training import evaluate as evaluate
from .training import fit as fit
from .training import predict as predict
