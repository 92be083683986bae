"""Special functions NumPy lacks, as vectorised NumPy: the error function.

``erf`` follows the method and coefficients of Sun Microsystems' fdlibm (``s_erf.c``,
1993, freely distributable): a rational approximation of ``(erf(x) - x) / x`` on
``|x| < 0.84375``, of ``erf(x) - c`` around 1 on ``[0.84375, 1.25)``, and of
``log(x * erfc(x)) + x^2`` in ``1 / x^2`` beyond (two ranges), each accurate to under an
ulp in float64. The small range is evaluated on the whole array (GELU's inputs mostly lie
there), the others only on the elements beyond it.
"""

from __future__ import annotations

import numpy as np

_ERX = 8.45062911510467529297e-01
_EFX = 1.28379167095512586316e-01
_PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
       -5.77027029648944159157e-03, -2.37630166566501626084e-05)  # fmt: skip
_QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
       1.32494738004321644526e-04, -3.96022827877536812320e-06)  # fmt: skip
_PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
       3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
       -2.16637559486879084300e-03)  # fmt: skip
_QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
       1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)  # fmt: skip
_RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e01,
       -6.23753324503260060396e01, -1.62396669462573470355e02, -1.84605092906711035994e02,
       -8.12874355063065934246e01, -9.81432934416914548592e00)  # fmt: skip
_SA = (1.0, 1.96512716674392571292e01, 1.37657754143519042600e02, 4.34565877475229228821e02,
       6.45387271733267880336e02, 4.29008140027567833386e02, 1.08635005541779435134e02,
       6.57024977031928170135e00, -6.04244152148580987438e-02)  # fmt: skip
_RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e01,
       -1.60636384855821916062e02, -6.37566443368389627722e02, -1.02509513161107724954e03,
       -4.83519191608651397019e02)  # fmt: skip
_SB = (1.0, 3.03380607434824582924e01, 3.25792512996573918826e02, 1.53672958608443695994e03,
       3.19985821950859553908e03, 2.55305040643316442583e03, 4.74528541206955367215e02,
       -2.24409524465858183362e01)  # fmt: skip


def _poly(z: np.ndarray, coeffs: tuple) -> np.ndarray:
    """``c0 + c1 z + c2 z^2 + ...`` (Horner)."""
    out = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        out *= z
        out += c
    return out


def erf(x: np.ndarray) -> np.ndarray:
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``, elementwise.

    float64 (and integers) are computed in float64, other floating dtypes in float32 (a few ulp
    of float32), and returned in ``x``'s floating dtype (integers: float64).

    >>> erf(np.array([0.0, 0.5, 1.0, 3.0])).round(8).tolist()
    [0.0, 0.52049988, 0.84270079, 0.99997791]
    """
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    work = np.float64 if dtype == np.float64 else np.float32
    v = np.atleast_1d(x).astype(work)
    a = np.abs(v)
    with np.errstate(over="ignore", invalid="ignore"):  # (inf: the small range's formula gives nan, replaced)
        out = _erf_small(v)  # GELU's inputs are mostly in this range: computed everywhere, the rest replaced
    big = a >= 0.84375
    if big.any():
        b, sign = a[big], np.sign(v[big])
        with np.errstate(over="ignore", invalid="ignore"):
            s1 = b - 1
            near_one = _ERX + _poly(s1, _PA) / _poly(s1, _QA)
            far = 1 - _erfc_tail(np.minimum(b, 6))
        out[big] = sign * np.where(b < 1.25, near_one, np.where(b < 6, far, 1))  # (NaN: sign is NaN)
    out = out.reshape(x.shape).astype(dtype, copy=False)
    return out[()] if out.ndim == 0 else out  # 0-d: a NumPy scalar, as graphgrad keeps them


def _erf_small(v: np.ndarray) -> np.ndarray:
    z = v * v
    return v + v * (_poly(z, _PP) / _poly(z, _QQ))


def _erfc_tail(a: np.ndarray) -> np.ndarray:
    """``erfc(a) = exp(-a^2 - 0.5625 + R(1/a^2) / S(1/a^2)) / a`` for ``1.25 <= a <= 6``."""
    w = 1 / (a * a)
    mid = a < 1 / 0.35
    tail = np.where(mid, _poly(w, _RA) / _poly(w, _SA), _poly(w, _RB) / _poly(w, _SB))
    if a.dtype == np.float64:  # exp(-a^2) with a split as fdlibm does: a^2 rounded would cost digits
        a32 = a.astype(np.float32).astype(np.float64)
        return np.exp(-a32 * a32 - 0.5625) * np.exp((a32 - a) * (a32 + a) + tail) / a
    return np.exp(-a * a - 0.5625 + tail) / a
