#!/usr/bin/env python3
"""Writes test/fixtures/lasso-reference.json: scikit-learn's Lasso on a seeded architecture-like
data set (binary one-hot encodings of 6 layers x 4 candidates), the reference the TypeScript
Lasso is tested against. Dev script: needs Debian's python3-sklearn (/usr/bin/python3)."""
import json
import pathlib

import numpy as np
import sklearn
from sklearn.linear_model import Lasso

rng = np.random.default_rng(2024)
layers, cands, n = 6, 4, 160
choice = rng.integers(0, cands, size=(n, layers))
X = np.zeros((n, layers * cands))
for i in range(n):
    for l in range(layers):
        X[i, l * cands + choice[i, l]] = 1.0
w_true = rng.uniform(0.2, 3.0, size=layers * cands)
y = X @ w_true + 1.5 + rng.normal(0, 0.05, size=n)
X_test = X[:10] [::-1]

cases = []
for alpha in (0.01, 0.1):
    m = Lasso(alpha=alpha, max_iter=100000, tol=1e-10).fit(X, y)
    cases.append({
        "alpha": alpha,
        "coef": m.coef_.tolist(),
        "intercept": float(m.intercept_),
        "predict": m.predict(X_test).tolist(),
    })

out = {
    "generator": f"scripts/lasso-reference.py, scikit-learn {sklearn.__version__}",
    "X": X.tolist(),
    "y": y.tolist(),
    "X_test": X_test.tolist(),
    "cases": cases,
}
path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "lasso-reference.json"
path.write_text(json.dumps(out))
print(f"wrote {path}")
