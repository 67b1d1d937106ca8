"""Test-session settings."""

import os

# One BLAS thread: on a small shared machine extra threads make small matrix
# products many times slower, and the real-data test's run time unpredictable.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
