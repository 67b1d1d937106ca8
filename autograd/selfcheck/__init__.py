"""Self-check: gradcheck every registered op over random shapes.

Run ``python -m autograd.selfcheck`` (``--seed N``, ``--trials K``,
``--ops add,matmul``) for the engine's ops, or ``python -m nn.selfcheck`` for
those plus every nn kernel, layer and loss (``nn`` registers its rows).
Each row of the table is one op, layer or loss: how many random trials ran,
the worst error of first and second derivatives against central finite
differences, and the verdict of ``ag.gradcheck`` / ``ag.gradgradcheck``. A
registered op that no case exercises is reported as ``NO CASE`` and fails the
run, so a new op cannot ship unchecked. The exit status is non-zero if any
row fails.

The error reported is ``max |analytic - numeric| / (1 + |numeric|)`` over all
Jacobian entries: absolute for small derivatives, relative for large ones; it is
``inf`` (and the row fails) when any entry of either Jacobian is NaN or infinite.
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import dataclass, field

import numpy as np

from autograd.function import Op
from autograd.gradcheck import (
    analytic_jacobian,
    first_derivatives,
    gradcheck,
    gradgradcheck,
    numeric_jacobian,
)
from autograd.selfcheck.cases import Case, all_cases
from autograd.selfcheck.sampling import Trial

DEFAULT_SEED = 0
DEFAULT_TRIALS = 8  # enough to cycle through every structural kind of each family


@dataclass
class Row:
    """The outcome of one case: trials run, worst errors, failure messages."""

    name: str
    trials: int = 0
    first_error: float = 0.0
    second_error: float | None = None
    failures: list = field(default_factory=list)
    missing: bool = False

    @property
    def passed(self) -> bool:
        """True when every trial passed and the row is not a registered op without a case."""
        return not self.failures and not self.missing


def uncovered_ops(cases: list) -> list:
    """Registered op names that no case exercises."""
    covered = {name for case in cases for name in case.ops}
    return sorted(set(Op.registry) - covered)


def jacobian_error(fn, inputs: tuple) -> float:
    """``max |analytic - numeric| / (1 + |numeric|)`` over every Jacobian entry.

    ``inf`` when any entry of either Jacobian is NaN or infinite: such a row fails.
    """
    worst = 0.0
    pairs = zip(analytic_jacobian(fn, inputs), numeric_jacobian(fn, inputs))
    for exact_blocks, approx_blocks in pairs:
        for exact, approx in zip(exact_blocks, approx_blocks):
            if not (np.isfinite(exact).all() and np.isfinite(approx).all()):
                return float("inf")
            if exact.size:
                worst = max(worst, float(np.max(np.abs(exact - approx) / (1 + np.abs(approx)))))
    return worst


def _check(row: Row, trial: Trial, order: int) -> float:
    """Run ``ag.gradcheck`` (order 1) or ``ag.gradgradcheck`` (order 2); record a failure."""
    checker = gradcheck if order == 1 else gradgradcheck
    try:
        checker(trial.fn, trial.inputs)
    except Exception as error:  # any exception is a failed check, reported with its trial
        row.failures.append(f"{'gradcheck' if order == 1 else 'gradgradcheck'} "
                            f"[{trial.label}]: {type(error).__name__}: {error}")
    if order == 1:
        return jacobian_error(trial.fn, trial.inputs)
    fn, inputs = first_derivatives(trial.fn, trial.inputs)
    return jacobian_error(fn, inputs)


def run_case(case: Case, seed: int, trials: int) -> Row:
    """Check ``trials`` random trials of one case (the rng depends only on seed and name).

    NumPy's global random state (layer initialisation, dropout masks) is seeded
    the same way for the case and restored afterwards.
    """
    row = Row(case.name)
    name_key = zlib.crc32(case.name.encode())
    rng = np.random.default_rng([seed, name_key])
    global_state = np.random.get_state()
    np.random.seed((seed * 7919 + name_key) % 2**32)
    try:
        for number in range(trials):
            _run_trial(case, rng, number, row)
    finally:
        np.random.set_state(global_state)
    return row


def _run_trial(case: Case, rng: np.random.Generator, number: int, row: Row) -> None:
    try:
        trial = case.make(rng, number)
        row.first_error = max(row.first_error, _check(row, trial, 1))
        if case.second_order:
            row.second_error = max(row.second_error or 0.0, _check(row, trial, 2))
    except Exception as error:  # a case that cannot even run is a failure, not a crash
        row.failures.append(f"trial {number}: {type(error).__name__}: {error}")
    row.trials += 1


def run(seed: int = DEFAULT_SEED, trials: int = DEFAULT_TRIALS, names=None) -> list:
    """Check every case (or those named), plus a ``NO CASE`` row per uncovered op."""
    cases = all_cases()
    selected = [case for case in cases if names is None or case.name in names]
    rows = [run_case(case, seed, trials) for case in selected]
    if names is None:
        rows += [Row(name, missing=True) for name in uncovered_ops(cases)]
    return rows


def _format_error(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def format_table(rows: list) -> str:
    """One line per row: name, trials, worst 1st/2nd-order error, verdict."""
    width = max([len(row.name) for row in rows] + [10])
    lines = [f"{'op / layer':<{width}}  trials  err 1st  err 2nd  result"]
    for row in rows:
        verdict = "NO CASE" if row.missing else ("ok" if row.passed else "FAIL")
        lines.append(f"{row.name:<{width}}  {row.trials:>6}  {_format_error(row.first_error):>7}"
                     f"  {_format_error(row.second_error):>7}  {verdict}")
    return "\n".join(lines)


def summary(rows: list, seconds: float) -> str:
    """``"41 rows, 246 trials in 12.0 s: all passed"`` or the count that failed."""
    failed = [row for row in rows if not row.passed]
    verdict = "all passed" if not failed else f"{len(failed)} FAILED"
    return (f"{len(rows)} rows, {sum(row.trials for row in rows)} trials in "
            f"{seconds:.1f} s: {verdict}")


def _parse_arguments(argv, known: list) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m autograd.selfcheck",
        description="Gradcheck every registered op and every nn layer/loss on random shapes.")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED}: the same trials every run)")
    parser.add_argument("--trials", type=int, default=DEFAULT_TRIALS,
                        help=f"random trials per op (default {DEFAULT_TRIALS})")
    parser.add_argument("--ops", type=lambda text: [n.strip() for n in text.split(",") if n],
                        help="comma-separated names of rows to run (default: all)")
    args = parser.parse_args(argv)
    if args.trials < 1:
        parser.error(f"--trials must be at least 1, got {args.trials}")
    unknown = sorted(set(args.ops or ()) - set(known))
    if unknown:
        parser.error(f"unknown names in --ops: {', '.join(unknown)}; known: {', '.join(known)}")
    return args


def main(argv=None) -> int:
    """The command line: print the table and the failures; return the exit status."""
    args = _parse_arguments(argv, [case.name for case in all_cases()])
    start = time.perf_counter()
    rows = run(args.seed, args.trials, args.ops)
    print(format_table(rows))
    for row in rows:
        if row.missing:
            print(f"\n{row.name}: registered op with no self-check case; add a row to the "
                  "case table of its package (autograd/selfcheck/cases.py or nn/selfcheck/)")
        for failure in row.failures:
            print(f"\n{row.name}: {failure}\n  reproduce: python -m autograd.selfcheck "
                  f"--ops {row.name!r} --seed {args.seed} --trials {args.trials}")
    print("\n" + summary(rows, time.perf_counter() - start))
    return 0 if all(row.passed for row in rows) else 1
