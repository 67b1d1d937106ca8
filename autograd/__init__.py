"""autograd: a small reverse-mode automatic differentiation engine on NumPy."""
