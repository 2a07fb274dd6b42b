#!/usr/bin/env python3
"""Writes test/fixtures/sklearn-reference.json, the independent reference of @hurricane/predictors:
SciPy's modified Bessel function K_nu, scikit-learn's Matern kernel, GaussianProcessRegressor
(fixed and fitted hyper-parameters), Lasso, LassoCV and BayesianRidge with their defaults, all on a seeded
architecture-like data set (one-hot encodings of 8 layers x 4 candidates, latencies with
interactions and noise). Dev script: needs Debian's python3-sklearn (run with /usr/bin/python3);
the tests read only the JSON it writes."""
import json
import pathlib

import numpy as np
import scipy
import sklearn
from scipy.special import kv
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from sklearn.linear_model import BayesianRidge, Lasso, LassoCV

rng = np.random.default_rng(2026)
layers, cands, n_train, n_test = 8, 4, 120, 40
n = n_train + n_test
choice = rng.integers(0, cands, size=(n, layers))
X = np.zeros((n, layers * cands))
for i in range(n):
    for l in range(layers):
        X[i, l * cands + choice[i, l]] = 1.0
w = rng.uniform(0.05, 0.6, size=layers * cands)
inter = 0.15 * (choice[:, 0] == choice[:, 1]) + 0.1 * (choice[:, 2] * choice[:, 3] > 3)
y = 1.2 + X @ w + inter + rng.normal(0, 0.03, size=n)
Xtr, ytr, Xte = X[:n_train], y[:n_train], X[n_train:]

bessel = []
for nu in (0.35, 0.5, 1.0, 1.5, 2.5, 3.7, 10.2, 0.0001, 2.003, 0.991):
    for x in (1e-3, 0.1, 0.5, 1.9, 2.0, 2.1, 5.0, 20.0, 100.0):
        bessel.append({"nu": nu, "x": x, "k": float(kv(nu, x))})

matern = []
for nu in (0.35, 0.5, 1.5, 2.5, 3.2):
    d = np.array([[0.0], [0.3], [1.0], [2.2], [4.0]])
    k = Matern(length_scale=1.0, nu=nu)(d, np.zeros((1, 1)))[:, 0]
    matern.append({"nu": nu, "d": d[:, 0].tolist(), "k": k.tolist()})

gp_fixed = []
for nu in (0.35, 1.5, 2.5, 0.8):
    kernel = ConstantKernel(0.7, "fixed") * Matern(length_scale=1.5, nu=nu) + WhiteKernel(0.02)
    m = GaussianProcessRegressor(kernel=kernel, optimizer=None, normalize_y=True, alpha=1e-10).fit(Xtr, ytr)
    mean, std = m.predict(Xte, return_std=True)
    gp_fixed.append({"nu": nu, "amplitude": 0.7, "length_scale": 1.5, "noise": 0.02,
                     "mean": mean.tolist(), "std": std.tolist(),
                     "lml": float(m.log_marginal_likelihood_value_)})

gp_fitted = []
for nu in (0.35, 2.5):
    kernel = ConstantKernel(1.0) * Matern(length_scale=1.5, nu=nu) + WhiteKernel(0.01)
    m = GaussianProcessRegressor(kernel=kernel, normalize_y=True, alpha=1e-10, n_restarts_optimizer=5, random_state=0).fit(Xtr, ytr)
    amp, ls, noise = np.exp(m.kernel_.theta)
    gp_fitted.append({"nu": nu, "lml": float(m.log_marginal_likelihood_value_),
                      "amplitude": float(amp), "length_scale": float(ls), "noise": float(noise)})

lasso = []
for alpha in (0.01, 0.001):
    m = Lasso(alpha=alpha).fit(Xtr, ytr)
    lasso.append({"alpha": alpha, "coef": m.coef_.tolist(), "intercept": float(m.intercept_),
                  "mean": m.predict(Xte).tolist()})

# LassoCV with its defaults (5 unshuffled folds, 100 alphas down to 1e-3 of the largest) at the
# data's scale and at a sub-millisecond one, where Lasso(alpha=0.01) zeroes every coefficient
lasso_cv = []
for scale in (1.0, 0.07):
    ys = ytr * scale
    m = LassoCV().fit(Xtr, ys)
    lasso_cv.append({"scale": scale, "alpha": float(m.alpha_), "alphas": m.alphas_.tolist(),
                     "mse": m.mse_path_.mean(axis=1).tolist(), "coef": m.coef_.tolist(),
                     "intercept": float(m.intercept_), "mean": m.predict(Xte).tolist(),
                     "paper_alpha_nonzero": int(np.count_nonzero(Lasso(alpha=0.01).fit(Xtr, ys).coef_))})

br = BayesianRidge().fit(Xtr, ytr)
br_mean, br_std = br.predict(Xte, return_std=True)

out = {
    "generator": f"scripts/sklearn-reference.py, scikit-learn {sklearn.__version__}, SciPy {scipy.__version__}",
    "X_train": Xtr.tolist(), "y_train": ytr.tolist(), "X_test": Xte.tolist(),
    "bessel": bessel, "matern": matern, "gp_fixed": gp_fixed, "gp_fitted": gp_fitted, "lasso": lasso, "lasso_cv": lasso_cv,
    "bayesian_ridge": {"coef": br.coef_.tolist(), "intercept": float(br.intercept_), "alpha": float(br.alpha_),
                       "lambda": float(br.lambda_), "mean": br_mean.tolist(), "std": br_std.tolist()},
}
path = pathlib.Path(__file__).resolve().parent.parent / "test" / "fixtures" / "sklearn-reference.json"
path.write_text(json.dumps(out))
print(f"wrote {path}")
