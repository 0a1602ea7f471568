"""Independent reading of Weka's example ARFF files for ArffTest: per file, column summaries computed with
scipy.io.arff (scipy 1.17).

    cd /tmp && apt-get download weka && dpkg-deb -x weka_*.deb /tmp/x/weka
    /work/venv/bin/python make_arff_fixture.py /tmp/x/weka > arff_fixture.json

Only summaries (row counts, level counts, missing counts, sums) are stored, not the GPL-packaged data.
"""
import json, sys

import numpy as np
from scipy.io import arff

ROOT = sys.argv[1]
FILES = ["credit-g", "vote", "glass", "iris", "breast-cancer", "cpu"]  # soybean: scipy misreads its tab-separated nominal declarations



def unquote(name):
    # scipy keeps the quotes of a quoted attribute name ('K' in glass.arff); Weka's name is without them
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"" else name


out = []
for name in FILES:
    path = "/usr/share/doc/weka/examples/" + name + ".arff"
    data, meta = arff.loadarff(ROOT + path)
    cols = []
    for col in meta.names():
        kind, values = meta[col]
        v = data[col]
        if kind == "nominal":
            cells = [x.decode("utf-8") for x in v]
            present = [c for c in cells if c != "?"]
            used = [l for l in values if l in set(present)]
            cols.append({"name": unquote(col), "kind": "categorical", "missing": len(cells) - len(present),
                         "levels": used, "counts": [present.count(l) for l in used]})
        else:
            x = v.astype(float)
            cols.append({"name": unquote(col), "kind": "numeric", "missing": int(np.isnan(x).sum()),
                         "sum": float(np.nansum(x)), "first": None if np.isnan(x[0]) else float(x[0])})
    out.append({"package": "weka", "path": path, "rows": int(len(data)), "columns": cols})
json.dump(out, sys.stdout, indent=1)
print()
