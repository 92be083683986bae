"""Training steps written by hand in plain NumPy: the "numpy-by-hand" column of the benchmarks.

Each model is a small class built from a dict of NumPy parameters whose names, shapes and
layouts are PyTorch's (so graphgrad, PyTorch and these references start from identical
weights), with

- ``loss_and_grads(x, y)``: forward, softmax cross-entropy (mean), and a backward pass derived
  by hand; returns ``(loss, {name: gradient})``,
- ``step(x, y, lr)``: the same, then a plain SGD update in place; returns the loss.

The code is what a competent person writes by hand when speed matters, not a straw man:
convolutions are im2col (``sliding_window_view``, one gather copy, one matmul) and col2im
(a loop over the 25 kernel offsets, each a whole-array add), with activations kept batch
innermost so every copy runs over long contiguous rows; pooling is four strided adds;
the GRU's input projections and all weight gradients are single matmuls outside the time
loop, as are its local derivatives, so each time step is one matmul and a few whole-array
ops. Nothing loops over the batch or over output positions. Backward passes are derived by
hand and checked against PyTorch in ``tests/benchmarks/test_reference_numpy.py``.

Models:

- :class:`MLPReference`: 784-256-128-10 ReLU MLP, the layout of ``nn.models.mlp()``.
- :class:`LeNetReference`: LeNet-5 as in Dive into Deep Learning, the layout of
  ``nn.models.lenet()``: conv(1,6,k5,pad2) sigmoid avgpool2 conv(6,16,k5) sigmoid avgpool2
  flatten linear(400,120) sigmoid linear(120,84) sigmoid linear(84,10).
- :class:`GRULMReference`: one-hot tokens -> GRU(vocab, hidden) (PyTorch's equations, gate
  order r, z, n, zero initial state) -> Linear(hidden, vocab) on every step.

``*_params(rng)`` draw PyTorch-style initial weights (uniform in +-1/sqrt(fan_in)) and
``*_batch(rng)`` a batch of random inputs and targets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "MLPReference", "LeNetReference", "GRULMReference", "mlp_params", "lenet_params", "gru_lm_params",
    "mlp_batch", "lenet_batch", "gru_lm_batch", "MLP_SIZES", "GRU_VOCAB", "GRU_HIDDEN", "GRU_STEPS", "GRU_BATCH",
]  # fmt: skip

Params = dict[str, np.ndarray]

MLP_SIZES = (784, 256, 128, 10)
MLP_LAYERS = ("1", "3", "5")  # positions of the Linear layers in nn.models.mlp() (0 is Flatten)
LENET_CONV = ("0", "3")  # positions in nn.models.lenet()
LENET_LINEAR = ("7", "9", "11")
GRU_VOCAB, GRU_HIDDEN, GRU_STEPS, GRU_BATCH = 65, 256, 35, 32
GRU_KEYS = ("rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", "head.weight", "head.bias")


# ============================================================================ shared pieces
def _uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, dtype: type) -> np.ndarray:
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(dtype)


def _sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-a))`` in three in-place passes over ``out`` (default: a new array)."""
    out = np.negative(a, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``logits`` (rows) against integer targets ``y``, and its gradient."""
    rows = np.arange(len(y))
    shifted = logits - logits.max(1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(1, keepdims=True)
    loss = float(np.log(s[:, 0]).mean() - shifted[rows, y].mean())
    grad = e
    grad /= s
    grad[rows, y] -= 1
    grad /= len(y)
    return loss, grad


def _sgd(params: Params, grads: Params, lr: float) -> None:
    for name, g in grads.items():
        p = params[name]
        p -= np.asarray(lr, p.dtype) * g


class _Reference:
    """Holds the parameters; subclasses implement ``loss_and_grads``.

    ``update(params, grads, lr)`` does the SGD update in place (plain NumPy by default).
    """

    def __init__(self, params: Params, update: Callable[[Params, Params, float], None] | None = None) -> None:
        self.params = {k: np.array(v) for k, v in params.items()}
        self.update = _sgd if update is None else update

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
        raise NotImplementedError

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One SGD training step (forward, backward, update in place); returns the loss before the update."""
        loss, grads = self.loss_and_grads(x, y)
        self.update(self.params, grads, lr)
        return loss


# ============================================================================ MLP
def mlp_params(rng: np.random.Generator, sizes: tuple[int, ...] = MLP_SIZES, dtype: type = np.float32) -> Params:
    """PyTorch-style initial weights for :class:`MLPReference`, keyed as ``nn.models.mlp()``'s state dict."""
    params = {}
    for key, (a, b) in zip(MLP_LAYERS, zip(sizes[:-1], sizes[1:])):
        params[f"{key}.weight"] = _uniform(rng, (b, a), a, dtype)
        params[f"{key}.bias"] = _uniform(rng, (b,), a, dtype)
    return params


def mlp_batch(rng: np.random.Generator, batch: int = 128, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Random inputs ``(batch, 784)`` and integer class targets ``(batch,)``."""
    return rng.standard_normal((batch, MLP_SIZES[0])).astype(dtype), rng.integers(0, MLP_SIZES[-1], batch)


class MLPReference(_Reference):
    """784-256-128-10 MLP with ReLU, softmax cross-entropy; keys ``1.weight`` ... ``5.bias``."""

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
        """Loss and gradients of every parameter for inputs ``x (batch, 784)`` and targets ``y``."""
        p = self.params
        (w1, b1), (w2, b2), (w3, b3) = ((p[f"{k}.weight"], p[f"{k}.bias"]) for k in MLP_LAYERS)
        x = x.reshape(len(x), -1)
        h1, h2, z3 = mlp_forward(x, w1, b1, w2, b2, w3, b3)
        loss, grads = mlp_loss_and_grads(x, y, h1, h2, z3, w2, w3)
        return loss, {f"{k}.{kind}": g for (k, kind), g in zip(_MLP_NAMES, grads)}


_MLP_NAMES = [(k, kind) for k in MLP_LAYERS for kind in ("weight", "bias")]


def mlp_forward(x: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, w3: np.ndarray,
                b3: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """:class:`MLPReference`'s forward: the two ReLU outputs and the logits (ReLU in place)."""
    h1 = x @ w1.T
    h1 += b1
    np.maximum(h1, 0, out=h1)
    h2 = h1 @ w2.T
    h2 += b2
    np.maximum(h2, 0, out=h2)
    z3 = h2 @ w3.T
    z3 += b3
    return h1, h2, z3


def mlp_loss_and_grads(x: np.ndarray, y: np.ndarray, h1: np.ndarray, h2: np.ndarray, z3: np.ndarray, w2: np.ndarray,
                       w3: np.ndarray) -> tuple[float, list[np.ndarray]]:  # fmt: skip
    """:class:`MLPReference`'s loss and backward from the ReLU outputs and logits: the gradients of
    weight and bias of each layer, in order. ReLU's derivative is (output > 0)."""
    loss, d3 = _softmax_cross_entropy(z3, y)
    d2 = d3 @ w3
    d2 *= h2 > 0
    d1 = d2 @ w2
    d1 *= h1 > 0
    return loss, [d1.T @ x, d1.sum(0), d2.T @ h1, d2.sum(0), d3.T @ h2, d3.sum(0)]


# ============================================================================ LeNet
def lenet_params(rng: np.random.Generator, dtype: type = np.float32) -> Params:
    """PyTorch-style initial weights for :class:`LeNetReference`, keyed as ``nn.models.lenet()``'s state dict."""
    c1, c2 = LENET_CONV
    params = {
        f"{c1}.weight": _uniform(rng, (6, 1, 5, 5), 25, dtype), f"{c1}.bias": _uniform(rng, (6,), 25, dtype),
        f"{c2}.weight": _uniform(rng, (16, 6, 5, 5), 150, dtype), f"{c2}.bias": _uniform(rng, (16,), 150, dtype),
    }  # fmt: skip
    for key, (a, b) in zip(LENET_LINEAR, [(400, 120), (120, 84), (84, 10)]):
        params[f"{key}.weight"] = _uniform(rng, (b, a), a, dtype)
        params[f"{key}.bias"] = _uniform(rng, (b,), a, dtype)
    return params


def lenet_batch(rng: np.random.Generator, batch: int = 64, dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Random images ``(batch, 1, 28, 28)`` and integer class targets ``(batch,)``."""
    return rng.standard_normal((batch, 1, 28, 28)).astype(dtype), rng.integers(0, 10, batch)


def _im2col(x: np.ndarray, k: int) -> np.ndarray:
    """Patches of ``x (C, H, W, N)`` as columns: ``(C * k * k, Ho * Wo * N)``, stride 1, no padding.

    ``sliding_window_view`` is a view; the reshape does the one gather copy. Rows are ordered
    ``(c, kh, kw)`` like a flattened PyTorch conv weight; columns ``(ho, wo, n)``, so the matmul
    result is again batch-innermost ``(O, Ho, Wo, N)``.
    """
    c = x.shape[0]
    return sliding_window_view(x, (k, k), axis=(1, 2)).transpose(0, 4, 5, 1, 2, 3).reshape(c * k * k, -1)


def _conv_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stride-1 cross-correlation of an already padded ``x (C, H, W, N)``.

    Returns the pre-activation ``(O, Ho * Wo * N)`` and the im2col matrix (kept for backward).
    """
    cols = _im2col(x, weight.shape[-1])
    out = weight.reshape(len(weight), -1) @ cols
    out += bias[:, None]
    return out, cols


def _conv_backward(
    dout: np.ndarray, cols: np.ndarray, weight: np.ndarray, in_shape: tuple[int, ...] | None
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of :func:`_conv_forward` from ``dout (O, Ho * Wo * N)``: ``(dx or None, dweight, dbias)``.

    ``dx`` (shape ``in_shape``, ``(C, H, W, N)``) is col2im: the patch gradients ``W^T dout``
    added back at their ``k * k`` offsets, a loop over kernel offsets where each step is one
    whole-array add over rows of ``Wo * N`` contiguous values.
    """
    o, c, k, _ = weight.shape
    dweight = _long_product(dout, cols.T).reshape(weight.shape)
    dbias = dout.sum(1)
    if in_shape is None:
        return None, dweight, dbias
    _, h, w, n = in_shape
    ho, wo = h - k + 1, w - k + 1
    dcols = (weight.reshape(o, -1).T @ dout).reshape(c, k, k, ho, wo, n)
    dx = np.zeros(in_shape, dout.dtype)
    for i in range(k):
        for j in range(k):
            dx[:, i : i + ho, j : j + wo] += dcols[:, i, j]
    return dx, dweight, dbias


def _long_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` summed in blocks of the long inner dimension when the result is small (a weight
    gradient over every position of every image): OpenBLAS is 2.5-3x faster on blocks that keep
    its packing buffers in the cache. One batched matmul over the blocks, then a sum."""
    m, k = a.shape
    n = b.shape[1]
    blocks = next((c for c in range(k // 2048, k // 1024 + 1) if c and k % c == 0), None)
    if k < 8192 or m * n > 16384 or blocks is None:
        return a @ b
    size = k // blocks
    return np.matmul(a.reshape(m, blocks, size).transpose(1, 0, 2), b.reshape(blocks, size, n)).sum(axis=0)


def _avgpool2(x: np.ndarray) -> np.ndarray:
    """2x2 average pooling with stride 2 over axes 1 and 2 of ``(C, H, W, N)``: four strided adds."""
    s = x[:, 0::2, 0::2] + x[:, 0::2, 1::2]
    s += x[:, 1::2, 0::2]
    s += x[:, 1::2, 1::2]
    s *= np.asarray(0.25, x.dtype)
    return s


def _avgpool2_backward(dout: np.ndarray) -> np.ndarray:
    """Each input of a 2x2 window gets a quarter of its window's gradient (layout ``(C, H, W, N)``)."""
    c, h, w, n = dout.shape
    q = dout * np.asarray(0.25, dout.dtype)
    dx = np.empty((c, h, 2, w, 2, n), dout.dtype)
    dx[:, :, 0, :, 0] = q
    dx[:, :, 0, :, 1] = q
    dx[:, :, 1] = dx[:, :, 0]
    return dx.reshape(c, 2 * h, 2 * w, n)


class LeNetReference(_Reference):
    """LeNet-5 (D2L: sigmoid, average pooling) on ``(N, 1, 28, 28)`` images, softmax cross-entropy.

    Inside, the convolutional part keeps activations as ``(C, H, W, N)``, batch innermost:
    the im2col matmul produces that layout directly, per-channel biases and their gradients
    are contiguous rows, and the gather, col2im and pooling copies all run over long
    contiguous rows. Only the small tensors at the two ends get transposed.
    """

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, Params]:
        """Loss and gradients of every parameter for images ``x (N, 1, 28, 28)`` and targets ``y``."""
        p = self.params
        c1, c2 = LENET_CONV
        l1, l2, l3 = LENET_LINEAR
        n = len(x)
        # forward
        xp = np.zeros((x.shape[1], 32, 32, n), x.dtype)  # (C, H, W, N), zero padding 2
        xp[:, 2:30, 2:30] = x.transpose(1, 2, 3, 0)
        a1, cols1 = _conv_forward(xp, p[f"{c1}.weight"], p[f"{c1}.bias"])  # (6, 28*28*N)
        s1 = _sigmoid(a1, out=a1).reshape(6, 28, 28, n)
        q1 = _avgpool2(s1)  # (6, 14, 14, N)
        a2, cols2 = _conv_forward(q1, p[f"{c2}.weight"], p[f"{c2}.bias"])  # (16, 10*10*N)
        s2 = _sigmoid(a2, out=a2).reshape(16, 10, 10, n)
        f = _avgpool2(s2).transpose(3, 0, 1, 2).reshape(n, 400)  # PyTorch's flatten order (c, h, w)
        h1 = _sigmoid(f @ p[f"{l1}.weight"].T + p[f"{l1}.bias"])
        h2 = _sigmoid(h1 @ p[f"{l2}.weight"].T + p[f"{l2}.bias"])
        z = h2 @ p[f"{l3}.weight"].T + p[f"{l3}.bias"]
        loss, dz = _softmax_cross_entropy(z, y)
        # backward; sigmoid's derivative is s * (1 - s)
        g: Params = {f"{l3}.weight": dz.T @ h2, f"{l3}.bias": dz.sum(0)}
        dh2 = dz @ p[f"{l3}.weight"]
        dh2 *= h2 * (1 - h2)
        g[f"{l2}.weight"], g[f"{l2}.bias"] = dh2.T @ h1, dh2.sum(0)
        dh1 = dh2 @ p[f"{l2}.weight"]
        dh1 *= h1 * (1 - h1)
        g[f"{l1}.weight"], g[f"{l1}.bias"] = dh1.T @ f, dh1.sum(0)
        df = dh1 @ p[f"{l1}.weight"]
        da2 = _avgpool2_backward(df.reshape(n, 16, 5, 5).transpose(1, 2, 3, 0))
        da2 *= s2 * (1 - s2)
        dq1, g[f"{c2}.weight"], g[f"{c2}.bias"] = _conv_backward(
            da2.reshape(16, -1), cols2, p[f"{c2}.weight"], q1.shape
        )
        da1 = _avgpool2_backward(dq1)
        da1 *= s1 * (1 - s1)
        _, g[f"{c1}.weight"], g[f"{c1}.bias"] = _conv_backward(da1.reshape(6, -1), cols1, p[f"{c1}.weight"], None)
        return loss, g


# ============================================================================ GRU language model
def gru_lm_params(
    rng: np.random.Generator, vocab: int = GRU_VOCAB, hidden: int = GRU_HIDDEN, dtype: type = np.float32
) -> Params:
    """PyTorch-style initial weights for :class:`GRULMReference` (``rnn.*``: ``nn.GRU``, ``head.*``: ``nn.Linear``)."""
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = GRU_KEYS
    return {
        w_ih: _uniform(rng, (3 * hidden, vocab), hidden, dtype),
        w_hh: _uniform(rng, (3 * hidden, hidden), hidden, dtype),
        b_ih: _uniform(rng, (3 * hidden,), hidden, dtype),
        b_hh: _uniform(rng, (3 * hidden,), hidden, dtype),
        w_out: _uniform(rng, (vocab, hidden), hidden, dtype),
        b_out: _uniform(rng, (vocab,), hidden, dtype),
    }


def gru_lm_batch(
    rng: np.random.Generator, steps: int = GRU_STEPS, batch: int = GRU_BATCH, vocab: int = GRU_VOCAB
) -> tuple[np.ndarray, np.ndarray]:
    """Input tokens ``(steps, batch)`` and next-token targets ``(steps, batch)`` from one random sequence."""
    tokens = rng.integers(0, vocab, (steps + 1, batch))
    return tokens[:-1], tokens[1:]


class GRULMReference(_Reference):
    """One-hot tokens -> GRU -> Linear on every step -> cross-entropy averaged over all tokens.

    PyTorch's GRU, gate order (r, z, n)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h,   h0 = 0
    """

    def loss_and_grads(self, tokens: np.ndarray, targets: np.ndarray) -> tuple[float, Params]:
        """Loss and gradients for int ``tokens (T, B)`` and next-token ``targets (T, B)``."""
        w_ih_k, w_hh_k, b_ih_k, b_hh_k, w_out_k, b_out_k = GRU_KEYS
        p = self.params
        w_ih, w_hh, b_ih, b_hh = p[w_ih_k], p[w_hh_k], p[b_ih_k], p[b_hh_k]
        w_out, b_out = p[w_out_k], p[b_out_k]
        steps, batch = tokens.shape
        hid, vocab = w_hh.shape[1], w_ih.shape[1]
        dtype = w_hh.dtype
        x = np.eye(vocab, dtype=dtype)[tokens.reshape(-1)]  # one-hot (T*B, V)

        # forward. All input projections in one matmul; b_hr and b_hz fold into them (only
        # b_hn sits inside r * (...)), so each step is one matmul and a few whole-array ops.
        bias = b_ih.copy()
        bias[: 2 * hid] += b_hh[: 2 * hid]
        gi = x @ w_ih.T
        gi += bias
        gi = gi.reshape(steps, batch, 3 * hid)
        w_hh_t, b_hn = w_hh.T, b_hh[2 * hid :]
        hs = np.zeros((steps + 1, batch, hid), dtype)  # hs[t] is the state before step t
        rz = np.empty((steps, batch, 2 * hid), dtype)  # r, z
        ns = np.empty((steps, batch, hid), dtype)  # n
        ghn = np.empty((steps, batch, hid), dtype)  # W_hn h + b_hn, needed for dr
        gh = np.empty((batch, 3 * hid), dtype)
        for t in range(steps):
            h = hs[t]
            np.matmul(h, w_hh_t, out=gh)
            np.add(gi[t, :, : 2 * hid], gh[:, : 2 * hid], out=rz[t])
            _sigmoid(rz[t], out=rz[t])
            np.add(gh[:, 2 * hid :], b_hn, out=ghn[t])
            nt = ns[t]
            np.multiply(rz[t, :, :hid], ghn[t], out=nt)
            nt += gi[t, :, 2 * hid :]
            np.tanh(nt, out=nt)
            # h' = (1 - z) * n + z * h = n + z * (h - n)
            np.subtract(h, nt, out=hs[t + 1])
            hs[t + 1] *= rz[t, :, hid:]
            hs[t + 1] += nt
        out = hs[1:].reshape(-1, hid)
        logits = out @ w_out.T
        logits += b_out
        loss, dlogits = _softmax_cross_entropy(logits, targets.reshape(-1))

        # backward through time. The local derivatives of every step are whole-array
        # products computed once, outside the loop; inside it: the recurrent matmul and
        # four multiplies.
        g: Params = {w_out_k: dlogits.T @ out, b_out_k: dlogits.sum(0)}
        dout = (dlogits @ w_out).reshape(steps, batch, hid)
        r, z = rz[..., :hid], rz[..., hid:]
        dan_dh = (1 - z) * (1 - ns * ns)  # d pre-activation of n / d h'
        daz_dh = (hs[:-1] - ns) * z * (1 - z)  # d pre-activation of z / d h'
        dar_dan = ghn * r * (1 - r)  # d pre-activation of r / d pre-activation of n
        dgh = np.empty((steps, batch, 3 * hid), dtype)  # gradient of W_hh h + b_hh, gates r, z, n
        dan = np.empty((steps, batch, hid), dtype)  # gradient of the n gate's input projection
        dh = np.zeros((batch, hid), dtype)
        for t in range(steps - 1, -1, -1):
            dh += dout[t]
            np.multiply(dh, dan_dh[t], out=dan[t])
            np.multiply(dan[t], dar_dan[t], out=dgh[t, :, :hid])
            np.multiply(dh, daz_dh[t], out=dgh[t, :, hid : 2 * hid])
            np.multiply(dan[t], r[t], out=dgh[t, :, 2 * hid :])
            # to the previous state: directly through z * h, and through W_hh
            dh *= z[t]
            dh += dgh[t] @ w_hh
        # weight gradients: one matmul each over all steps; the input-side gradient equals
        # the hidden-side one for r and z, and is dan for n
        dgh_flat, dan_flat = dgh.reshape(-1, 3 * hid), dan.reshape(-1, hid)
        g[w_hh_k] = dgh_flat.T @ hs[:-1].reshape(-1, hid)
        g[b_hh_k] = dgh_flat.sum(0)
        g[w_ih_k] = np.concatenate([dgh_flat[:, : 2 * hid].T @ x, dan_flat.T @ x])
        g[b_ih_k] = np.concatenate([g[b_hh_k][: 2 * hid], dan_flat.sum(0)])
        return loss, g
