"""Small R data files written by Python's rdata package (1.1.0), not by R, for RDataTest and the R reader's fuzz
corpus: one data frame `df` in every compression R uses and both serialisation versions.

    /tmp/rvenv/bin/python make.py   # in this directory
"""
import numpy as np
import pandas as pd
import rdata

df = pd.DataFrame({
    "x": [1.5, np.nan, -3.0],
    # no NA in the factor: rdata 1.1.0 writes a missing factor value as code 0, not NA_integer_ as R does
    "k": pd.Categorical(["a", "b", "a"], categories=["b", "a", "c"]),
    "s": ["u", "v", None],
    "b": [True, False, True],
    "i": pd.array([1, None, 3], dtype="Int32"),
})
for name, kw in {"gzip": dict(compression="gzip"), "bzip2": dict(compression="bzip2"), "xz": dict(compression="xz"),
                 "plain": dict(compression=None), "v2": dict(compression="gzip", format_version=2)}.items():
    rdata.write_rda(name + ".rda", {"df": df}, **kw)
