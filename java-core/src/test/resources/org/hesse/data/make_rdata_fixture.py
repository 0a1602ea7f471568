"""Independent reading of R data files for RDataTest: per object, column summaries computed with the Python
package `rdata` (1.1.0) and, for lazy-load databases, Python's own zlib / lzma (raw LZMA2) decompression.

    python3 -m venv /tmp/rvenv && /tmp/rvenv/bin/pip install rdata==1.1.0
    cd /tmp && apt-get download r-cran-mlbench r-cran-kernlab r-cran-caret r-cran-modeldata r-cran-mass r-cran-ggplot2
    for f in *.deb; do d=x/${f%%_*}; mkdir -p $d; dpkg-deb -x $f $d; done
    /tmp/rvenv/bin/python make_rdata_fixture.py /tmp/x > rdata_fixture.json

Only summaries (row counts, level names and counts, NA counts, sums) are stored, not the GPL-packaged data.
"""
import json, lzma, struct, sys, warnings, zlib

import numpy as np
import pandas as pd
import rdata

warnings.simplefilter("ignore")
ROOT = sys.argv[1]

# (package, path in package, object); .rdx = lazy-load database
OBJECTS = [
    ("r-cran-mlbench", "/usr/lib/R/site-library/mlbench/data/Glass.rda", "Glass"),             # xz
    ("r-cran-mlbench", "/usr/lib/R/site-library/mlbench/data/Soybean.rda", "Soybean"),         # xz, factors with NA
    ("r-cran-mlbench", "/usr/lib/R/site-library/mlbench/data/Zoo.rda", "Zoo"),                 # logical columns
    ("r-cran-mlbench", "/usr/lib/R/site-library/mlbench/data/BreastCancer.rda", "BreastCancer"),  # character, ordered
    ("r-cran-kernlab", "/usr/lib/R/site-library/kernlab/data/spam.rda", "spam"),               # bzip2
    ("r-cran-kernlab", "/usr/lib/R/site-library/kernlab/data/promotergene.rda", "promotergene"),  # bzip2
    ("r-cran-caret", "/usr/lib/R/site-library/caret/data/cars.RData", "cars"),                 # gzip
    ("r-cran-modeldata", "/usr/lib/R/site-library/modeldata/data/Rdata.rdx", "penguins"),      # raw LZMA2
    ("r-cran-modeldata", "/usr/lib/R/site-library/modeldata/data/Rdata.rdx", "credit_data"),
    ("r-cran-modeldata", "/usr/lib/R/site-library/modeldata/data/Rdata.rdx", "ames"),
    ("r-cran-mass", "/usr/lib/R/library/MASS/data/Rdata.rdx", "Cars93"),                       # zlib
    ("r-cran-mass", "/usr/lib/R/library/MASS/data/Rdata.rdx", "Boston"),
    ("r-cran-ggplot2", "/usr/lib/R/site-library/ggplot2/data/Rdata.rdx", "diamonds"),          # zlib, ordered
]


def lazy_load(rdx_path, name):
    index = rdata.conversion.convert(rdata.parser.parse_file(rdx_path))
    offset, length = (int(v) for v in index["variables"][name])
    comp = int(np.asarray(index["compressed"]).ravel()[0])
    with open(rdx_path[:-4] + ".rdb", "rb") as f:
        f.seek(offset)
        blob = f.read(length)
    (outlen,) = struct.unpack(">I", blob[:4])
    if comp == 1:
        raw = zlib.decompress(blob[4:])
    else:
        assert blob[4:5] == b"Z", blob[4:5]
        raw = lzma.decompress(blob[5:], format=lzma.FORMAT_RAW,
                              filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])
    assert len(raw) == outlen
    return rdata.conversion.convert(rdata.parser.parse_data(raw))


def summary(df):
    cols = []
    for name in df.columns:
        s = df[name]
        c = {"name": str(name), "missing": int(s.isna().sum())}
        if isinstance(s.dtype, pd.CategoricalDtype):
            c["kind"] = "categorical"
            levels = [str(l) for l in s.cat.categories]
            counts = s.value_counts()
            used = [l for l in levels if counts.get(l, 0) > 0]   # the reader keeps the levels that occur
            c["levels"] = used
            c["counts"] = [int(counts[l]) for l in used]
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            c["kind"] = "categorical"
            counts = s.dropna().astype(str).value_counts()
            levels = sorted(counts.index)
            c["levels"] = levels
            c["counts"] = [int(counts[l]) for l in levels]
        else:
            v = s.astype("float64").to_numpy()
            c["kind"] = "numeric"
            c["sum"] = float(np.nansum(v))
            c["first"] = None if np.isnan(v[0]) else float(v[0])
        cols.append(c)
    return {"rows": int(len(df)), "columns": cols}


out = []
for pkg, path, name in OBJECTS:
    full = ROOT + "/" + pkg + path
    if path.endswith(".rdx"):
        df = lazy_load(full, name)
    else:
        df = rdata.conversion.convert(rdata.parser.parse_file(full))[name]
    out.append({"package": pkg, "path": path, "object": name, **summary(df)})
json.dump(out, sys.stdout, indent=1)
print()
