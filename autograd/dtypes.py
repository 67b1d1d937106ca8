"""Dtype names, as PyTorch spells them: the NumPy dtypes (``ag.float32 is np.float32``)."""

import numpy as np

__all__ = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
           "half", "float", "double", "short", "int", "long"]

float16 = half = np.float16
float32 = float = np.float32  # noqa: A001 - PyTorch's names
float64 = double = np.float64
int8, int16, int32, int64, uint8 = np.int8, np.int16, np.int32, np.int64, np.uint8
short, int, long = np.int16, np.int32, np.int64  # noqa: A001
bool = np.bool_  # noqa: A001
