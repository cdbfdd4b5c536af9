# Writes tiny_nullable.h5ad: an AnnData (anndata >= 0.8 layout, written with
# h5py as anndata writes it) whose obs holds a bool column and the nullable
# encodings of anndata >= 0.9 (nullable-integer, nullable-boolean,
# nullable-string-array), for store/ingest's column tests.
# Run: /usr/bin/python3 tiny_nullable.py  (needs h5py and numpy)
import h5py
import numpy as np

STR = h5py.string_dtype()


def enc(obj, typ, version):
    obj.attrs["encoding-type"] = typ
    obj.attrs["encoding-version"] = version


with h5py.File("tiny_nullable.h5ad", "w") as f:
    enc(f, "anndata", "0.1.0")
    x = f.create_dataset("X", data=np.array([[1, 0, 2], [0, 3, 0], [4, 0, 0]], dtype=np.float32))
    enc(x, "array", "0.2.0")
    obs = f.create_group("obs")
    enc(obs, "dataframe", "0.2.0")
    obs.attrs["_index"] = "_index"
    obs.attrs["column-order"] = np.array(["is_doublet", "n_genes", "passed", "donor"], dtype=object)
    enc(obs.create_dataset("_index", data=np.array(["c1", "c2", "c3"], dtype=object), dtype=STR), "string-array", "0.2.0")
    enc(obs.create_dataset("is_doublet", data=np.array([True, False, True])), "array", "0.2.0")
    g = obs.create_group("n_genes")
    enc(g, "nullable-integer", "0.1.0")
    g.create_dataset("values", data=np.array([120, 0, 75], dtype=np.int64))
    g.create_dataset("mask", data=np.array([False, True, False]))
    g = obs.create_group("passed")
    enc(g, "nullable-boolean", "0.1.0")
    g.create_dataset("values", data=np.array([True, False, False]))
    g.create_dataset("mask", data=np.array([False, False, True]))
    g = obs.create_group("donor")
    enc(g, "nullable-string-array", "0.1.0")
    g.create_dataset("values", data=np.array(["d1", "", "d2"], dtype=object), dtype=STR)
    g.create_dataset("mask", data=np.array([False, True, False]))
    var = f.create_group("var")
    enc(var, "dataframe", "0.2.0")
    var.attrs["_index"] = "_index"
    var.attrs["column-order"] = np.array([], dtype=np.float64)
    enc(var.create_dataset("_index", data=np.array(["G1", "G2", "G3"], dtype=object), dtype=STR), "string-array", "0.2.0")
