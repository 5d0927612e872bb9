"""Hypothesis profiles of the property suites (``HYPOTHESIS_PROFILE``):

* ``ci`` (default): few examples, derandomized, no example database, so ``make test`` tries the same
  inputs on every run and stays within a few minutes on two cores;
* ``thorough``: ten times the examples, random, with the example database, for a run by hand::

      HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/properties -p no:cacheprovider

Each test takes its settings from ``tests.properties.support.examples``. The profile is not loaded
globally (``settings.load_profile``), which would change every other Hypothesis test of the run.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

# The handlers run against moto in every example: slow by Hypothesis' standards, and one function-scoped
# ``aws_env`` serves all examples of a test (each example leaves the AWS resources empty again).
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    "print_blob": True,
}
settings.register_profile("ci", derandomize=True, database=None, **_COMMON)
settings.register_profile("thorough", **_COMMON)
