"""``python -m autograd.gradcheck``: the self-test of every built-in primitive (see ``cases.py``)."""

from .check import main

raise SystemExit(main())
