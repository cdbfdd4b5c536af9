# Reads each .h5ad named on the command line with anndata and prints one JSON
# object per file: what export_test.go checks. Run with /usr/bin/python3.
import json
import sys

import anndata
import numpy as np
import scipy.sparse

out = []
for path in sys.argv[1:]:
    a = anndata.read_h5ad(path)
    obs = a.obs
    out.append({
        "anndata": anndata.__version__,
        "shape": list(a.shape),
        "obs_columns": list(obs.columns),
        "obs_dtypes": {c: str(obs[c].dtype) for c in obs.columns},
        "obs_index_str": all(isinstance(s, str) for s in obs.index),
        "obs_index_unique": bool(obs.index.is_unique),
        "var_index_str": all(isinstance(s, str) for s in a.var.index),
        "var_columns": list(a.var.columns),
        "obsm": {k: list(v.shape) for k, v in a.obsm.items()},
        "x_sparse": bool(scipy.sparse.issparse(a.X)),
        "x_sum": float(a.X.sum()) if a.X is not None else None,
        "obsm_equals_x": bool(a.X is not None and not scipy.sparse.issparse(a.X)
                              and np.array_equal(a.X, a.obsm.get("X_genestore"))),
        "uns": sorted(a.uns.get("genestore", {}).keys()),
        "model_version": str(a.uns.get("genestore", {}).get("model_version", "")),
        "first": {c: (None if (not isinstance(v, str) and v != v) else (v if isinstance(v, (str, bool)) else float(v)))
                  for c, v in obs.iloc[0].items()},
        "categories": {c: [str(x) for x in obs[c].cat.categories] for c in obs.columns
                       if str(obs[c].dtype) == "category"},
        # each derived layer: its uns description and its obsm matrix
        # (NaN as null)
        "layers": {name: {"obsm_key": str(d["obsm_key"]), "values": str(d["values"]),
                          "var_names": [str(x) for x in d["var_names"]],
                          "datasets": sorted(d["datasets"].keys()),
                          "matrix": [[None if x != x else float(x) for x in row]
                                     for row in np.asarray(a.obsm[d["obsm_key"]])]}
                   for name, d in a.uns.get("genestore", {}).get("layers", {}).items()},
    })
print(json.dumps(out))
