# Generates the coefficient tables of org.hesse.simd.Erf (run with python3; pure standard library).
# erfc Taylor coefficients a[k][n] = erfc^(n)(x0)/n! at x0 = 0.5 + k/8, k = 0..44, n = 0..18, from
# erfc^(n)(x) = -(2/sqrt(pi)) (-1)^(n-1) H_(n-1)(x) e^(-x^2) (physicists' Hermite polynomials), erfc(x0) from the
# alternating Maclaurin series of erf in 400-digit decimal arithmetic; Maclaurin coefficients of erf(x)/x in x^2.
from decimal import Decimal as D, getcontext
getcontext().prec = 400
PI = D("3.14159265358979323846264338327950288419716939937510582097494459230781640628620899"
       "86280348253421170679821480865132823066470938446095505822317253594081284811174502"
       "84102701938521105559644622948954930381964428810975665933446128475648233786783165")
def erf(x):
    x = D(x); s = D(0); n = 0; term = x
    while True:
        t = term / (2 * n + 1)
        s += t if n % 2 == 0 else -t
        if abs(t) < D(10) ** -380: break
        n += 1
        term = term * x * x / n
    return 2 / PI.sqrt() * s
def taylor(x0, N):
    X = D(x0); c = [1 - erf(x0)]
    g = 2 / PI.sqrt() * (-X * X).exp()
    Hm, H, fact = D(0), D(1), D(1)
    for n in range(1, N + 1):
        fact *= n
        c.append(-g * (1 if n % 2 == 1 else -1) * H / fact)
        Hm, H = H, 2 * X * H - 2 * (n - 1) * Hm
    return c
def java(vals, per=4):
    out = [repr(float(v)) for v in vals]
    return ",\n".join("      " + ", ".join(out[i:i + per]) for i in range(0, len(out), per))
import sys
if __name__ == "__main__":
    print("  private static final double[] ERF_MACLAURIN = {")
    print(java([2 / PI.sqrt() * (1 if n % 2 == 0 else -1) / (D(__import__('math').factorial(n)) * (2 * n + 1)) for n in range(14)]))
    print("  };")
    print("  private static final double[] ERFC_TAYLOR = {")
    rows = []
    for k in range(45):
        rows.append(java(taylor(0.5 + 0.125 * k, 18), 5) )
    print(",\n".join(rows))
    print("  };")
