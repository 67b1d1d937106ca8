"""The differentiable primitives, one module per family (see ``autograd/tensor.py`` for methods)."""
