"""The suite executes every notebook here (nbmake) at small sizes: data, epochs and widths shrink.

nbmake starts each notebook's kernel as a child process of pytest, and the kernel inherits
pytest's environment, so setting the switch here reaches the notebooks. Set
GRAPHGRAD_NOTEBOOK_QUICK=0 before running pytest to execute them at full size.
"""

import os

os.environ.setdefault("GRAPHGRAD_NOTEBOOK_QUICK", "1")
