"""The differentiable primitives, one module per family (methods: ``tensor_methods.py``)."""
