#!/usr/bin/python3
"""Writes sklearn_golden.json: random inputs and scikit-learn's values for the
metrics that query/eval re-implements. Run with Debian's python3 and
python3-sklearn (1.2.1 when generated): /usr/bin/python3 gen_sklearn_golden.py
"""
import json

import numpy as np
import sklearn
from sklearn import metrics

rng = np.random.default_rng(20261121)
cases = []
for n, ka, kb in [(50, 3, 4), (200, 5, 5), (333, 2, 9)]:
    a = rng.integers(0, ka, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, kb, n))
    cases.append({
        "a": a.tolist(), "b": b.tolist(),
        "ari": metrics.adjusted_rand_score(a, b),
        "nmi": metrics.normalized_mutual_info_score(a, b, average_method="arithmetic"),
    })

sil = []
for n, dim, k in [(120, 3, 3), (257, 5, 4)]:
    labels = rng.integers(0, k, n)
    x = rng.normal(size=(n, dim)) + labels[:, None] * 0.8
    x = x.astype(np.float32)
    sil.append({
        "dim": dim, "x": x.ravel().astype(float).tolist(), "labels": labels.tolist(),
        "euclidean": metrics.silhouette_samples(x.astype(np.float64), labels, metric="euclidean").tolist(),
        "cosine": metrics.silhouette_samples(x.astype(np.float64), labels, metric="cosine").tolist(),
    })

auc = []
for n in [40, 500]:
    y = rng.random(n) < 0.3
    s = np.round(rng.random(n) + 0.4 * y, 1)  # rounding makes ties
    auc.append({"scores": s.tolist(), "positives": y.tolist(), "auroc": metrics.roc_auc_score(y, s)})

f1 = []
names = ["B", "T", "NK", "Mono", "Unassigned"]
for n in [30, 300]:
    t = rng.choice(names[:4], n)
    p = np.where(rng.random(n) < 0.7, t, rng.choice(names, n))
    f1.append({"truth": t.tolist(), "pred": p.tolist(),
               "macro_f1": metrics.f1_score(t, p, average="macro", zero_division=0),
               "accuracy": metrics.accuracy_score(t, p)})

json.dump({"sklearn": sklearn.__version__, "partitions": cases, "silhouette": sil, "auroc": auc, "f1": f1},
          open("sklearn_golden.json", "w"))
