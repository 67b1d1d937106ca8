"""nn: layers, losses, optimizers and training utilities built on ``autograd``."""
