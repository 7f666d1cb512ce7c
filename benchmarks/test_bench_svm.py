"""SVC (rbf) and LinearSVC: fastml beside scikit-learn and scikit-learn-intelex.

Issue 6 size: SVC rbf on make_classification(10000, 20, random_state=0).
Run: pytest benchmarks/test_bench_svm.py --benchmark-only (unset OPENBLAS_CORETYPE).
"""

import warnings

import pytest
import sklearn.svm as sk_svm
from sklearn.datasets import make_classification

from fastml.svm import SVC, LinearSVC

warnings.filterwarnings("ignore", category=FutureWarning)


@pytest.fixture(scope="module")
def data():
    return make_classification(10000, 20, random_state=0)


def _svc_peers():
    peers = [("fastml", SVC), ("sklearn", sk_svm.SVC)]
    try:
        from sklearnex.svm import SVC as ExSVC

        peers.append(("sklearnex", ExSVC))
    except ImportError:
        pass
    return peers


@pytest.mark.benchmark(group="SVC rbf make_classification(10000, 20)")
@pytest.mark.parametrize("name, cls", _svc_peers(), ids=lambda p: p if isinstance(p, str) else "")
def test_svc_rbf(benchmark, data, name, cls):
    X, y = data
    model = benchmark.pedantic(lambda: cls().fit(X, y), rounds=1, iterations=1)
    assert model.score(X, y) > 0.85


def _linear_peers():
    peers = [("fastml", LinearSVC), ("sklearn", sk_svm.LinearSVC)]
    try:
        from sklearnex.svm import LinearSVC as ExLinearSVC

        peers.append(("sklearnex", ExLinearSVC))
    except ImportError:
        pass
    return peers


@pytest.mark.benchmark(group="LinearSVC make_classification(10000, 20)")
@pytest.mark.parametrize("name, cls", _linear_peers(), ids=lambda p: p if isinstance(p, str) else "")
def test_linear_svc(benchmark, data, name, cls):
    X, y = data
    model = benchmark.pedantic(lambda: cls(dual=True, random_state=0).fit(X, y), rounds=1, iterations=1)
    assert model.score(X, y) > 0.8
