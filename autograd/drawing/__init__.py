"""Drawing recorded graphs as SVG, with values, gradients and the modules that ran.

A map of the files:

- ``draw.py``: ``draw``, ``to_dot``, ``save_svg`` and the options they take; what to draw;
- ``scene.py``: reading the recorded graph into drawable items and edges (walks back from the
  drawn tensors, names what it finds, collapses modules);
- ``style.py``: how items look: numbers, colours, the HTML-like labels of the nodes;
- ``render.py``: turning DOT text into SVG with Graphviz's ``dot`` or the ``graphviz-pure`` binary;
- ``steps.py``: ``backward_steps``: the reverse sweep recorded as frames (the chain rule, op by op);
- ``player.py``: the page that plays those frames over the drawing (slider, play button; no network).

>>> import autograd as ag
>>> x = ag.Tensor([1.0, 2.0], requires_grad=True, name="x")
>>> "digraph" in to_dot((x * 3).sum())
True
"""

from .draw import draw, draw_training_step, main, save_svg, to_dot
from .steps import BackwardSteps, backward_steps

__all__ = ["draw", "to_dot", "save_svg", "draw_training_step", "main", "backward_steps", "BackwardSteps"]
