"""nn.optim: optimizers and learning-rate schedules with PyTorch's update rules and API.

>>> import autograd as ag, nn
>>> model = nn.Sequential(nn.Linear(3, 1))
>>> opt = nn.optim.Adam(model.parameters(), lr=1e-2)
>>> x, y = ag.randn(8, 3), ag.randn(8, 1)
>>> for _ in range(3):
...     opt.zero_grad()
...     loss = ((model(x) - y) ** 2).mean()
...     loss.backward()
...     opt.step()
>>> sorted(opt.state_dict()["state"][0])
['exp_avg', 'exp_avg_sq', 'step']
"""

from . import lr_scheduler
from .adaptive import Adadelta, Adagrad, Adam, AdamW, RMSprop
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "lr_scheduler"]
