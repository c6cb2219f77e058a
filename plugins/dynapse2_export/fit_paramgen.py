#!/usr/bin/env python3
# plugins/dynapse2_export/fit_paramgen.py — how the coefficients of the
# bias-generator model in paramgen.c were obtained (run by hand; not part
# of the build). Reads the measured table (specs/dynapse2_export.md §4.1,
# ../shared/data/dynapse2_paramgen.txt: "TYPE COARSE FINE CURRENT_A"),
# never writes it anywhere, and prints the 2 x 6 x 9 coefficients as C.
#
# Model: the fine value drives an 8-bit binary-weighted current DAC, so
#   I(type, C, F) = a0 + sum_k bit_k(F) * a_{k+1}      (k = 0..7)
# with one set of 9 coefficients per (type, coarse): 108 numbers instead
# of 3072. Fit: weighted least squares on the relative error
# (weights 1/I^2), then 30 rounds of Lawson's iteratively reweighted least
# squares towards the minimax relative error. Pure Python, no numpy.
#
#   python3 plugins/dynapse2_export/fit_paramgen.py ../shared/data/dynapse2_paramgen.txt
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/dynapse2_paramgen.txt"
T = {}
for line in open(path):
    t, c, f, v = line.split()
    T[(t, int(c), int(f))] = float(v)


def solve(A, b):
    n = len(b)
    M = [row[:] + [b[i]] for i, row in enumerate(A)]
    for i in range(n):
        p = max(range(i, n), key=lambda r: abs(M[r][i]))
        M[i], M[p] = M[p], M[i]
        for r in range(n):
            if r != i:
                f = M[r][i] / M[i][i]
                for k in range(i, n + 1):
                    M[r][k] -= f * M[i][k]
    return [M[i][n] / M[i][i] for i in range(n)]


def feats(F):
    return [1.0] + [float((F >> k) & 1) for k in range(8)]


def model(coef, F):
    # the evaluation order of paramgen.c: a0, then bits 0..7
    acc = coef[0]
    for k in range(8):
        if (F >> k) & 1:
            acc += coef[k + 1]
    return acc


def fit(t, c, rounds=30):
    w = [1.0] * 256
    for _ in range(rounds):
        A = [[0.0] * 9 for _ in range(9)]
        b = [0.0] * 9
        for F in range(256):
            y = T[(t, c, F)]
            x = feats(F)
            ww = w[F] / (y * y)
            for i in range(9):
                b[i] += ww * x[i] * y
                for j in range(9):
                    A[i][j] += ww * x[i] * x[j]
        coef = solve(A, b)
        errs = [abs(model(coef, F) / T[(t, c, F)] - 1) for F in range(256)]
        m = max(errs)
        w = [wi * (e / m + 1e-3) for wi, e in zip(w, errs)]
        s = sum(w)
        w = [wi * 256 / s for wi in w]
    coef = [float("%.9g" % x) for x in coef]  # as printed below
    errs = [abs(model(coef, F) / T[(t, c, F)] - 1) for F in range(256)]
    return coef, errs


worst = (0, None)
print("static const double d2_model[2][6][9] = {")
for t in "NP":
    print("    {")
    for c in range(6):
        coef, errs = fit(t, c)
        m = max(errs)
        if m > worst[0]:
            worst = (m, (t, c, errs.index(m)))
        print("        {%s}, /* %s %d: max %.2f %% at F=%d, mean %.3f %% */"
              % (", ".join("%.9g" % x for x in coef), t, c, 100 * m,
                 errs.index(m), 100 * sum(errs) / 256))
    print("    },")
print("};")
print("/* worst relative error %.4f %% at %s */" % (100 * worst[0], worst[1]))
