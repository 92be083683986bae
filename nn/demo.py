"""``graphgrad demo``: a two-minute tour, printed step by step.

1. A micrograd-sized expression, its backward pass, and the gradients it produced.
2. ``gradcheck`` confirming those gradients against finite differences.
3. A small MLP trained on two interleaved half-moons (synthetic, no download).
4. The graph of one training step, drawn to an SVG file.
"""

from __future__ import annotations

import numpy as np

import autograd as ag


def two_moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points on two interleaved half circles, labelled 0 and 1."""
    t = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    points = np.stack([x, y], 1) + noise * rng.standard_normal((n, 2))
    return points.astype(np.float32), label


def run_demo(out: str = "graphgrad-demo.svg", seed: int = 0) -> int:
    import nn
    import nn.functional as F

    print("1. An expression, recorded as a graph")
    a = ag.Tensor(2.0, requires_grad=True, name="a")
    b = ag.Tensor(-3.0, requires_grad=True, name="b")
    c = ag.Tensor(5.5, requires_grad=True, name="c")
    L = (a * b + c).tanh() * a
    L.backward()
    print(f"   L = tanh(a*b + c) * a = {L.item():.4f}")
    print(f"   dL/da = {a.grad.item():.4f}   dL/db = {b.grad.item():.4f}   dL/dc = {c.grad.item():.4f}")

    print("\n2. Checking those gradients numerically")
    x64 = [ag.Tensor(v, requires_grad=True, dtype=np.float64, name=n) for v, n in ((2.0, "a"), (-3.0, "b"), (5.5, "c"))]
    report = ag.gradcheck(lambda a, b, c: (a * b + c).tanh() * a, tuple(x64))
    print("   " + str(report).replace("\n", "\n   "))

    print("\n3. Training an MLP on two half-moons")
    ag.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_np, y_np = two_moons(512, 0.1, rng)
    x, y = ag.Tensor(x_np.astype(np.float32)), ag.Tensor(y_np)  # the model's dtype
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2))
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    for step in range(151):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 30 == 0:
            with ag.no_grad():
                acc = float((model(x).argmax(1).data == y_np).mean())
            print(f"   step {step:3d}  loss {loss.item():.4f}  accuracy {acc:.1%}")

    print("\n4. Drawing one training step")
    from autograd.drawing import save_svg

    loss = F.cross_entropy(model(x[:4]), y[:4])
    loss.backward()
    path = save_svg(loss, out)
    print(f"   wrote {path}  (open it in a browser: ops are clustered by module, parameters are named)")
    return 0
