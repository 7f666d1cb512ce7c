"""`fastml bench` rows for SVC, SVR and LinearSVC on built-in data."""

import warnings

import numpy as np

from fastml._bench import BenchCase


def _bc():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def _fit_dec(cls, **kw):
    def run(data):
        X, y = data
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            m = cls(**kw).fit(X, y)
        return m.support_ if hasattr(m, "support_") else None, m.decision_function(X)

    return run


def _parity(ours, theirs):
    same_sv = ours[0] is None or np.array_equal(ours[0], theirs[0])
    return f"SV same={same_sv} max|d|={np.abs(ours[1] - theirs[1]).max():.1e}"


def _fm(name):
    import fastml.svm

    return getattr(fastml.svm, name)


def _sk(name):
    import sklearn.svm

    return getattr(sklearn.svm, name)


CASES = [
    BenchCase("SVC(rbf)", "digits", _digits,
              lambda d: _fit_dec(_fm("SVC"), decision_function_shape="ovo")(d),
              lambda d: _fit_dec(_sk("SVC"), decision_function_shape="ovo")(d), _parity),
    BenchCase("SVC(rbf)", "breast_cancer (scaled)", _bc,
              lambda d: _fit_dec(_fm("SVC"))(d), lambda d: _fit_dec(_sk("SVC"))(d), _parity),
    BenchCase("LinearSVC", "breast_cancer (scaled)", _bc,
              lambda d: _fit_dec(_fm("LinearSVC"), dual=True, random_state=0)(d),
              lambda d: _fit_dec(_sk("LinearSVC"), dual=True, random_state=0)(d),
              lambda a, b: f"max|d|={np.abs(a[1] - b[1]).max():.1e}"),
]
