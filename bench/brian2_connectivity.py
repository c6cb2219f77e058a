#!/usr/bin/env python3
"""Write the connectivity brian2_lif_net.py draws for (N, seed) as the
two index files of sparse.so's connect.rule = "file" (CSR by target:
indptr int64 [N + 1], indices int32 [N K]), with the very calls of the
peer's script (numpy default_rng(seed), per target j a choice of K of the
N - 1 others, c[c >= j] += 1), so that spikelab can run Brian2's network.

    /usr/bin/python3 bench/brian2_connectivity.py N SEED OUTDIR [K]
"""
import os
import sys

import numpy as np

N, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
K = int(sys.argv[4]) if len(sys.argv) > 4 else 100
rng = np.random.default_rng(seed)
pre = np.empty(N * K, dtype=np.int32)
for j in range(N):
    c = rng.choice(N - 1, size=K, replace=False)
    c[c >= j] += 1
    pre[j * K:(j + 1) * K] = c
np.save(os.path.join(out, 'indptr.npy'),
        np.arange(0, N * K + 1, K, dtype=np.int64))
np.save(os.path.join(out, 'indices.npy'), pre)
