"""``Embedding``: a lookup table of learned vectors, one row per token id."""

from __future__ import annotations

from typing import Any

import numpy as np

from autograd.tensor import Tensor
from nn import functional as F
from nn import init
from nn.functional.linear import _normalise_padding_idx
from nn.module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """Integer ids (*) -> vectors (*, embedding_dim), rows of ``weight`` (num_embeddings, dim).

    ``weight`` starts as N(0, 1), as in PyTorch.  With ``padding_idx`` that row starts at
    zero and never receives a gradient (it stays whatever it is).
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Embedding: {name} must be a non-negative int, got {value!r}")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            padding_idx = _normalise_padding_idx(padding_idx, self.num_embeddings)
        self.padding_idx = padding_idx
        dtype = np.dtype(dtype or np.float32)
        self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw N(0, 1) weights and zero the padding row."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """A copy of ``embeddings`` (num_embeddings, dim) as an Embedding, frozen by default."""
        values = np.array(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if values.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, "
                             f"got shape {values.shape}")
        if values.dtype.kind != "f":
            values = values.astype(np.float32)
        module = cls(values.shape[0], values.shape[1], padding_idx=padding_idx, dtype=values.dtype)
        module.weight.data[...] = values
        module.weight.requires_grad = not freeze
        return module

    def forward(self, indices: Any) -> Tensor:
        """Integer ids (*) -> (*, embedding_dim)."""
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
