"""Statistical methods: survival, count and binary models, linear and fixed-effects models.

A small functional façade (``cox(...)``, ``logit(...)``, ``km(...)``) returns result objects with
``.tidy()``, ``.summary()``, ``.to_dict()``; each states its standard-error convention, n, events,
clusters, log-likelihood, the exact specification and any warnings. Submodules are imported
lazily so ``import detente.methods`` stays cheap.

Every estimator is validated against R (``survival``, ``MASS``, ``sandwich``); see
``docs/methods.md`` for the conventions.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "OLS",
    "CoxPH",
    "DiscreteHazard",
    "FittedModel",
    "KaplanMeier",
    "Logit",
    "NegativeBinomial",
    "PHTest",
    "Poisson",
    "Probit",
    "cox",
    "cox_zph",
    "discrete_hazard",
    "event_study",
    "feglm",
    "feols",
    "km",
    "logit",
    "logrank",
    "negbin",
    "ols",
    "poisson",
    "probit",
    "read_table",
    "rmst",
]

_WHERE = {
    "FittedModel": "_base",
    "read_table": "_design",
    "CoxPH": "_cox",
    "cox": "_cox",
    "PHTest": "_ph_test",
    "cox_zph": "_ph_test",
    "KaplanMeier": "_kaplan_meier",
    "km": "_kaplan_meier",
    "logrank": "_kaplan_meier",
    "rmst": "_rmst",
    "DiscreteHazard": "_discrete_hazard",
    "discrete_hazard": "_discrete_hazard",
    "Logit": "_logit",
    "logit": "_logit",
    "Probit": "_probit",
    "probit": "_probit",
    "Poisson": "_poisson",
    "poisson": "_poisson",
    "NegativeBinomial": "_negbin",
    "negbin": "_negbin",
    "OLS": "_ols",
    "ols": "_ols",
    "feglm": "_absorb",
    "feols": "_fixest",
    "event_study": "_fixest",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"detente.methods.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'detente.methods' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
