"""README's headline rows, interleaved: fastml and its peers alternate within each repetition
(so machine drift hits both alike); best-of-N wall time per library, 2 threads.

Run: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/headline.py {euc|km|lin} [N]
(the conv2d rows come from benchmarks/test_bench_conv.py: interleaving torch
with fastml makes each pay for the other's spinning thread pool)."""
import time, sys, warnings, numpy as np
warnings.filterwarnings("ignore")
def inter(fns, r=5):
    best = [float('inf')] * len(fns)
    for _ in range(r):
        for i, f in enumerate(fns):
            t = time.perf_counter(); f(); best[i] = min(best[i], time.perf_counter() - t)
    return best
def row(name, fm, sk, peer="–"):
    print(f"| {name} | {fm:.4g} | {sk:.4g} | {peer} | {sk/fm:.2f}× |", flush=True)
try:
    import sklearnex.cluster as xc, sklearnex.linear_model as xl, sklearnex.svm as xs, sklearnex.decomposition as xd
except Exception: xc = None
w = sys.argv[1]; R = int(sys.argv[2]) if len(sys.argv) > 2 else 5
if w == 'euc':
    import fastml.metrics as fm, sklearn.metrics as sm
    rng = np.random.RandomState(0)
    for dt in (np.float64, np.float32):
        X = rng.rand(20000, 64).astype(dt); Y = rng.rand(2000, 64).astype(dt)
        fm.euclidean_distances(X, Y)
        a, b, g = inter([lambda: fm.euclidean_distances(X, Y), lambda: sm.euclidean_distances(X, Y), lambda: X @ Y.T], R)
        row(f"euclidean_distances 20000×64 vs 2000×64 {np.dtype(dt).name}", a, b, f"X@Y.T {g:.3g} (fastml = {a/g:.2f}× gemm)")
if w == 'km':
    import fastml.cluster as fc, sklearn.cluster as sc
    rng = np.random.RandomState(0); X = rng.rand(200000, 16); init = X[:16].copy()
    for alg in ['lloyd', 'elkan']:
        ests = [C(16, init=init, n_init=1, max_iter=50, tol=0, algorithm=alg) for C in [fc.KMeans, sc.KMeans] + ([xc.KMeans] if xc else [])]
        for e in ests: e.fit(X)
        ts = inter([lambda e=e: e.fit(X) for e in ests], R)
        for e in ests: assert e.n_iter_ == 50
        ms = [t / 50 * 1e3 for t in ts]
        row(f"KMeans {alg} 200000×16 k=16, ms/iter", ms[0], ms[1], f"sklearnex {ms[2]:.3g}" if xc else "–")
if w == 'lin':
    import fastml.linear_model as fl, sklearn.linear_model as sl, fastml.svm as fs, sklearn.svm as ss, fastml.decomposition as fd, sklearn.decomposition as sd
    from sklearn.datasets import make_classification, make_regression
    X, y = make_classification(100000, 50, random_state=0)
    fns = [lambda: fl.LogisticRegression().fit(X, y), lambda: sl.LogisticRegression().fit(X, y)] + ([lambda: xl.LogisticRegression().fit(X, y)] if xc else [])
    t = inter(fns, R); row("LogisticRegression 100000×50", t[0], t[1], f"sklearnex {t[2]:.3g}" if xc else "–")
    X, y = make_regression(100000, 100, random_state=0)
    t = inter([lambda: fl.Lasso(alpha=0.1).fit(X, y), lambda: sl.Lasso(alpha=0.1).fit(X, y)], R); row("Lasso(alpha=0.1) 100000×100", t[0], t[1])
    fns = [lambda: fd.PCA(10).fit(X), lambda: sd.PCA(10).fit(X)] + ([lambda: xd.PCA(10).fit(X)] if xc else [])
    t = inter(fns, R); row("PCA(10) 100000×100", t[0], t[1], f"sklearnex {t[2]:.3g}" if xc else "–")
    X, y = make_classification(10000, 20, random_state=0)
    fns = [lambda: fs.SVC().fit(X, y), lambda: ss.SVC().fit(X, y)] + ([lambda: xs.SVC().fit(X, y)] if xc else [])
    t = inter(fns, 2); row("SVC rbf 10000×20", t[0], t[1], f"sklearnex {t[2]:.3g}" if xc else "–")
