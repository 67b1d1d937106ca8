"""Every differentiable primitive against central finite differences (float64)."""

import numpy as np
import pytest

import autograd as ag
from autograd.function import Op
from tests.op_cases import CASES, make_inputs

VARIANTS = [
    pytest.param(case, shapes, id=f"{case.label()}-{'x'.join(map(str, shapes))}")
    for case in CASES
    for shapes in case.shapes
]


@pytest.mark.parametrize("case, shapes", VARIANTS)
def test_first_derivatives_match_finite_differences(case, shapes):
    inputs = make_inputs(shapes, case.domain, np.random.default_rng(0))
    assert ag.gradcheck(case.fn, inputs)


@pytest.mark.parametrize(
    "case, shapes", [v for v in VARIANTS if v.values[0].second_order]
)
def test_second_derivatives_match_finite_differences(case, shapes):
    inputs = make_inputs(shapes, case.domain, np.random.default_rng(1))
    assert ag.gradgradcheck(case.fn, inputs)


def test_every_registered_op_has_a_gradcheck_case():
    import nn  # noqa: F401  (its ops register too)

    covered = {name for case in CASES for name in case.ops}
    missing = sorted(set(Op.registry) - covered)
    assert not missing, f"ops without a gradcheck case in tests/op_cases.py: {missing}"
