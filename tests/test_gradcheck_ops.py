"""The op registry: every row, first and second derivatives against finite differences.

The rows are ``autograd.selfcheck.cases.CASES`` (the engine) and ``nn.selfcheck.CASES``
(nn's kernels, layers and losses): the same table ``python -m nn.selfcheck`` runs.
Each row is checked on a few trials; the trial number picks the structural kind
(broadcasting, 0-d, size-1 dimensions, ...), so they cover every kind of each family.
"""

import zlib

import numpy as np
import pytest

import autograd as ag
import nn.selfcheck  # noqa: F401  (registers nn's rows)
from autograd import selfcheck
from autograd.selfcheck.cases import all_cases

TRIALS = 6  # the longest cycle of structural kinds (broadcast pairs) has six

CASES = [pytest.param(case, id=case.name) for case in all_cases()]


def trials(case, order: int):
    rng = np.random.default_rng([order, zlib.crc32(case.name.encode())])
    np.random.seed(zlib.crc32(case.name.encode()) % 2**32)  # layer initialisation, dropout
    return [case.make(rng, number) for number in range(TRIALS)]


@pytest.mark.parametrize("case", CASES)
def test_first_derivatives_match_finite_differences(case):
    for trial in trials(case, 1):
        assert ag.gradcheck(trial.fn, trial.inputs), trial.label


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].second_order])
def test_second_derivatives_match_finite_differences(case):
    for trial in trials(case, 2):
        assert ag.gradgradcheck(trial.fn, trial.inputs), trial.label


def test_every_registered_op_has_a_row():
    assert selfcheck.uncovered_ops(all_cases()) == []
