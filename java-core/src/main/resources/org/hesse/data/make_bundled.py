# Converts scikit-learn's bundled CSVs (Debian python3-sklearn 1.2.1) into Hesse's bundled form.
import gzip, io, os, sys
src = sys.argv[1]; dst = sys.argv[2]
def opentext(name):
    p = os.path.join(src, name)
    return gzip.open(p, 'rt') if name.endswith('.gz') else open(p)
def write(name, header, rows):
    buf = io.StringIO()
    buf.write(','.join(header) + '\n')
    for r in rows:
        buf.write(','.join(r) + '\n')
    with open(os.path.join(dst, name + '.csv.gz'), 'wb') as f:
        with gzip.GzipFile(fileobj=f, mode='wb', mtime=0, filename='') as g:
            g.write(buf.getvalue().encode())
def sk(name, file, features):
    lines = opentext(file).read().strip().split('\n')
    first = lines[0].split(',')
    n, p = int(first[0]), int(first[1])
    assert p == len(features), (name, p, len(features))
    rows = [l.strip().split(',') for l in lines[1:]]
    assert len(rows) == n and all(len(r) == p + 1 for r in rows), name
    write(name, features + ['label'], rows)
    return first[2:]
iris = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
wine = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline"]

base = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity", "concave points",
        "symmetry", "fractal dimension"]
bc = ["mean " + b for b in base] + [b + " error" for b in base] + ["worst " + b for b in base]
print('iris', sk('iris', 'iris.csv', iris))
print('wine', sk('wine', 'wine_data.csv', wine))
print('breast_cancer', sk('breast_cancer', 'breast_cancer.csv', bc))
# digits: no n,p header row; 64 pixel counts 0..16 then the digit
lines = opentext('digits.csv.gz').read().strip().split('\n')
rows = [l.split(',') for l in lines]
assert len(rows) == 1797 and all(len(r) == 65 for r in rows)
rows = [[c.split('.')[0] if c.endswith('.0') or c.endswith('.000000000000000000e+00') else c for c in r] for r in rows]
write('digits', ['pixel_%d_%d' % (i, j) for i in range(8) for j in range(8)] + ['label'], rows)
# diabetes: raw (unscaled) features, space separated, target in its own file
X = [l.split() for l in opentext('diabetes_data_raw.csv.gz').read().strip().split('\n')]
y = [repr(float(l)) for l in opentext('diabetes_target.csv.gz').read().strip().split('\n')]
assert len(X) == 442 == len(y) and all(len(r) == 10 for r in X)
write('diabetes', ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", 'target'], [r + [t] for r, t in zip(X, y)])
