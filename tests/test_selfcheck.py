"""python -m autograd.selfcheck: every registered op is checked, and a wrong gradient fails it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import autograd as ag
import nn.selfcheck  # noqa: F401  (registers nn's rows)
from autograd import selfcheck
from autograd.function import Op
from autograd.ops import dual
from autograd.selfcheck import sampling
from autograd.selfcheck.cases import Case, all_cases
from autograd.selfcheck.sampling import Trial


@pytest.fixture
def scratch_registry():
    """Ops defined in a test are removed from ``Op.registry`` afterwards."""
    before = dict(Op.registry)
    yield
    Op.registry.clear()
    Op.registry.update(before)


def unary_case(name: str, function) -> Case:
    def make(rng, trial):
        return Trial(function, (sampling.leaf(rng.uniform(0.5, 2.0, (2, 3))),), "(2, 3)")
    return Case(name, (name,), make)


def define_wrong_first_derivative():
    class TripleWithWrongBackward(Op):
        """forward 3x, backward claims 2"""
        name = "test_triple_wrong"

        def forward(ctx, x):
            return 3 * x

        def backward(ctx, grad):
            return 2 * grad

    return TripleWithWrongBackward


def define_wrong_second_derivative():
    class SquareFrozenBackward(Op):
        """forward x**2; backward 2x is right, but treats x as a constant under create_graph"""
        name = "test_square_frozen"

        def forward(ctx, x):
            return x * x

        def backward(ctx, grad, x):
            return grad * 2 * dual.constant(x)

    return SquareFrozenBackward


def define_nan_backward():
    class DoubleWithNanBackward(Op):
        """forward 2x, backward NaN"""
        name = "test_double_nan"

        def forward(ctx, x):
            return 2 * x

        def backward(ctx, grad):
            return grad * np.nan

    return DoubleWithNanBackward


def test_every_case_passes_with_the_default_seed(capsys):
    assert selfcheck.main(["--trials", "3"]) == 0
    output = capsys.readouterr().out
    for case in all_cases():
        assert case.name in output
    assert "all passed" in output
    assert "FAIL" not in output and "NO CASE" not in output


def graph_op_names(outputs) -> set:
    names, stack, seen = set(), [out.grad_fn for out in outputs], set()
    while stack:
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            names.add(node.name)
            stack.extend(t.grad_fn for t in node.inputs)
    return names


@pytest.mark.parametrize("case", all_cases(), ids=lambda case: case.name)
def test_each_case_really_records_the_ops_it_claims_to_cover(case):
    """Coverage is only honest if the claimed ops are in the forward or double-backward graph."""
    rng = np.random.default_rng(0)
    recorded = set()
    for number in range(3):
        trial = case.make(rng, number)
        outputs = trial.fn(*trial.inputs)
        recorded |= graph_op_names(outputs if isinstance(outputs, tuple) else (outputs,))
        derivatives, inputs = selfcheck.first_derivatives(trial.fn, trial.inputs)
        recorded |= graph_op_names(derivatives(*inputs))
    assert set(case.ops) <= recorded


def test_a_wrong_first_derivative_fails_its_row_with_the_error_it_measured(scratch_registry):
    op = define_wrong_first_derivative()
    row = selfcheck.run_case(unary_case(op.name, op.apply), seed=0, trials=2)
    assert not row.passed
    assert row.trials == 2
    # analytic 2, numeric 3 on the diagonal: |2 - 3| / (1 + 3)
    assert row.first_error == pytest.approx(0.25, abs=1e-6)
    assert "gradcheck [(2, 3)]: AssertionError: gradcheck: Jacobian mismatch" in row.failures[0]


def test_a_wrong_second_derivative_fails_only_the_second_order_check(scratch_registry):
    op = define_wrong_second_derivative()
    row = selfcheck.run_case(unary_case(op.name, op.apply), seed=0, trials=1)
    assert not row.passed
    assert row.first_error < 1e-8
    assert row.second_error > 0.1
    assert len(row.failures) == 1 and row.failures[0].startswith("gradgradcheck")


def test_an_op_whose_backward_returns_nan_fails_the_run_with_a_non_zero_exit(
        scratch_registry, capsys, monkeypatch):
    op = define_nan_backward()
    assert op.name in Op.registry
    case = unary_case(op.name, op.apply)
    monkeypatch.setattr(selfcheck, "all_cases", lambda: [case])
    assert selfcheck.main(["--ops", op.name, "--trials", "2"]) == 1
    output = capsys.readouterr().out
    assert "1 FAILED" in output
    assert "gradcheck [(2, 3)]: AssertionError: gradcheck: non-finite Jacobian entry" in output
    row = selfcheck.run_case(case, seed=0, trials=1)
    assert not row.passed and row.first_error == float("inf")


def test_jacobian_error_is_infinite_when_an_entry_is_nan(scratch_registry):
    op = define_nan_backward()
    x = sampling.leaf(np.array([1.0, -2.0]))
    assert selfcheck.jacobian_error(op.apply, (x,)) == float("inf")


def test_a_registered_op_without_a_case_fails_the_run(scratch_registry, capsys):
    define_wrong_first_derivative()
    assert selfcheck.uncovered_ops(all_cases()) == ["test_triple_wrong"]
    assert selfcheck.main(["--trials", "1"]) == 1
    output = capsys.readouterr().out
    assert "test_triple_wrong" in output and "NO CASE" in output
    assert "1 FAILED" in output


def test_a_case_that_raises_is_reported_as_a_failure_not_a_crash():
    def make(rng, trial):
        return Trial(lambda x: x.reshape(7), (sampling.leaf(np.ones(3)),), "(3,)")

    row = selfcheck.run_case(Case("broken", (), make), seed=0, trials=2)
    assert not row.passed and row.trials == 2
    assert "reshape: cannot reshape a tensor of shape (3,)" in row.failures[0]


def test_failures_print_a_command_that_reproduces_them(scratch_registry, capsys, monkeypatch):
    op = define_wrong_first_derivative()
    case = unary_case(op.name, op.apply)
    monkeypatch.setattr(selfcheck, "all_cases", lambda: [case])
    assert selfcheck.main(["--ops", op.name, "--seed", "5", "--trials", "1"]) == 1
    output = capsys.readouterr().out
    assert "python -m autograd.selfcheck --ops 'test_triple_wrong' --seed 5 --trials 1" in output


def test_jacobian_error_is_zero_for_exact_gradients():
    x = sampling.leaf(np.array([[1.0, -2.0], [0.5, 3.0]]))
    assert selfcheck.jacobian_error(lambda t: (t * 2.0).sum(axis=0), (x,)) < 1e-9


def test_rows_are_reproducible_and_independent_of_the_selection():
    alone = selfcheck.run(seed=3, trials=2, names=["matmul"])[0]
    together = {row.name: row for row in selfcheck.run(seed=3, trials=2, names=["add", "matmul"])}
    assert together["matmul"].first_error == alone.first_error
    assert together.keys() == {"add", "matmul"}


def test_different_seeds_draw_different_trials():
    case = next(case for case in all_cases() if case.name == "matmul")
    labels = [[case.make(np.random.default_rng(seed), n).label for n in range(7)]
              for seed in (0, 1)]
    assert labels[0] != labels[1]


def test_unknown_names_and_bad_trial_counts_are_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        selfcheck.main(["--ops", "add,no_such_op"])
    assert exit_info.value.code == 2
    assert "unknown names in --ops: no_such_op" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        selfcheck.main(["--trials", "0"])


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "autograd.selfcheck", "--ops", "add,tanh",
                             "--trials", "2"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rows, 4 trials" in result.stdout


# ------------------------------------------------------------------ the samplers


@pytest.mark.parametrize("trial", range(len(sampling.BROADCAST_KINDS)))
def test_broadcast_pairs_are_of_their_kind_and_broadcast(trial):
    kind = sampling.BROADCAST_KINDS[trial]
    for seed in range(20):
        a, b = sampling.broadcast_pair(np.random.default_rng(seed), trial)
        full = np.broadcast_shapes(a, b)
        if kind == "same":
            assert a == b
        elif kind == "mixed":
            assert len(a) == len(b) and all(1 in pair for pair in zip(a, b))
        elif kind == "suffix":
            assert a[len(a) - len(b):] == b
        elif kind in ("left-0d", "right-0d"):
            assert (a if kind == "left-0d" else b) == ()
        else:
            assert set(b) == {1} and full == a


def test_unary_shapes_include_0d_and_size_1_dimensions():
    rng = np.random.default_rng(0)
    shapes = [sampling.unary_shape(rng, trial) for trial in range(3)]
    assert shapes[0] == () and shapes[1][0] == 1 and shapes[1][-1] == 1 and len(shapes[2]) >= 1


def test_distinct_values_never_tie_across_operands():
    a, b = sampling.distinct(np.random.default_rng(0), [(3, 4), (4,)])
    values = np.sort(np.concatenate([a.ravel(), b]))
    assert np.diff(values).min() >= 0.3 - 1e-12


def test_away_from_moves_values_out_of_the_gap():
    moved = sampling.away_from(np.array([-0.52, -0.49, 0.0, 0.6, 0.58]), [-0.5, 0.6], gap=0.05)
    np.testing.assert_allclose(moved, [-0.55, -0.45, 0.0, 0.65, 0.55])


def test_trial_functions_accept_their_inputs_and_return_tensors():
    for case in all_cases():
        rng = np.random.default_rng(0)
        for number in range(3):
            trial = case.make(rng, number)
            assert all(t.dtype == np.float64 for t in trial.inputs if isinstance(t, ag.Tensor))
            out = trial.fn(*trial.inputs)
            assert isinstance(out, ag.Tensor) and out.requires_grad, case.name
