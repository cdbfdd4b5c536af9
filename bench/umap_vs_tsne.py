#!/usr/bin/python3
"""genestore's UMAP (layout.Fit via layout/internal/umapbench) beside sklearn's
t-SNE and pynndescent's kNN on the same vectors: trustworthiness
(sklearn.manifold.trustworthiness), kNN preservation and run time. Run by hand
from the repository root (not by CI), with Debian's python3-sklearn and
python3-pynndescent:

    /usr/bin/python3 bench/umap_vs_tsne.py --n 3000 --dim 32 --out /tmp/umapbench
    genestore export --space cells --format tsv --out cells.tsv
    /usr/bin/python3 bench/umap_vs_tsne.py --tsv cells.tsv     # a store's cell vectors
"""
import argparse, json, os, subprocess, sys, time
import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.neighbors import NearestNeighbors


def knn_preservation(x, y, k):
    a = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x, return_distance=False)[:, 1:]
    b = NearestNeighbors(n_neighbors=k + 1).fit(y).kneighbors(y, return_distance=False)[:, 1:]
    return float(np.mean([len(set(p) & set(q)) / k for p, q in zip(a, b)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--clusters", type=int, default=10)
    ap.add_argument("--k", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/umapbench")
    ap.add_argument("--tsv", help="vectors from `genestore export --format tsv` instead of a simulated mixture")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.tsv:
        x = np.loadtxt(a.tsv, delimiter="\t", skiprows=1, usecols=None, dtype=str)[:, 2:].astype(np.float32)
        a.n, a.dim = x.shape
    else:
        rng = np.random.default_rng(a.seed)
        centres = rng.normal(0, 3, (a.clusters, a.dim))
        x = (centres[rng.integers(0, a.clusters, a.n)] + rng.normal(0, 1, (a.n, a.dim))).astype(np.float32)
    fv = os.path.join(a.out, "x.fvecs")
    rec = np.empty((a.n, a.dim + 1), dtype=np.float32)
    rec[:, 0] = np.frombuffer(np.int32(a.dim).tobytes(), dtype=np.float32)[0]
    rec[:, 1:] = x
    rec.tofile(fv)
    coords = os.path.join(a.out, "umap.f32")
    t = time.time()
    res = subprocess.run(["go", "run", "./layout/internal/umapbench", "--fvecs", fv, "--exact", "--out", coords],
                         check=True, capture_output=True, text=True)
    go = json.loads(res.stdout)
    y_umap = np.fromfile(coords, dtype=np.float32).reshape(-1, 2)
    import pynndescent
    t = time.time()
    pynndescent.NNDescent(x, n_neighbors=a.k, metric="cosine", random_state=a.seed, n_jobs=2).neighbor_graph
    t_nnd = time.time() - t
    t = time.time()
    y_tsne = TSNE(n_components=2, random_state=a.seed, init="pca", n_jobs=2).fit_transform(x)
    t_tsne = time.time() - t
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)  # genestore's kNN is cosine
    rows = []
    for name, y, secs in [("genestore umap", y_umap, go["layout_seconds"]), ("sklearn t-SNE", y_tsne, t_tsne)]:
        rows.append({"method": name, "n": a.n, "dim": a.dim, "k": a.k,
                     "trustworthiness": float(trustworthiness(xn, y, n_neighbors=a.k)),
                     "knn_preservation": knn_preservation(xn, y, a.k), "seconds": secs})
    rows.append({"method": "knn graph", "genestore_exact_seconds": go["knn_seconds"], "pynndescent_seconds": t_nnd})
    for r in rows:
        print(json.dumps(r))


if __name__ == "__main__":
    sys.exit(main())
