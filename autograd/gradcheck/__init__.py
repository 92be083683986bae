"""Gradient checking: the engine's derivatives against finite differences, with a report that explains itself.

A map of the files:

- ``check.py``: ``gradcheck`` and ``gradgradcheck``, the error they raise, and locating the wrong
  primitive when a check fails (each recorded op re-checked on the inputs it saw);
- ``jacobian.py``: the two comparisons, whole Jacobians and random projections ``v·J·u``;
- ``report.py``: the result objects and the tables they print (text and HTML);
- ``cases.py``: one random test case per built-in primitive, the self-test behind
  ``graphgrad gradcheck`` and ``python -m autograd.gradcheck``.

>>> from autograd import Tensor, gradcheck
>>> x = Tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
>>> bool(gradcheck(lambda t: (t * t).sum(), (x,)))
True
"""

from .check import GradcheckError, GradcheckResult, gradcheck, gradgradcheck, main

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "GradcheckResult", "main"]
