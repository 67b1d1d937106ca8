"""Self-check cases for nn layers and losses (empty until ``import nn`` provides them)."""

from __future__ import annotations


def nn_cases() -> list:
    """Cases for the layers and losses the installed ``nn`` package defines."""
    return []
