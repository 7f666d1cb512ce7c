"""`fastml bench` rows for fastml.ensemble: forests and boosting on built-in data."""

from fastml._bench import BenchCase


def _digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, random_state=0)


def _diabetes():
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    X, y = load_diabetes(return_X_y=True)
    return train_test_split(X, y, random_state=0)


def _fit_score(make):
    def run(data):
        Xtr, Xte, ytr, yte = data
        return make().fit(Xtr, ytr).score(Xte, yte)

    return run


def _score_diff(ours, theirs):
    return f"score {ours:.3f} vs {theirs:.3f}"


def _case(name, data_name, make_data, ours, theirs, repeat=3):
    return BenchCase(name, data_name, make_data, _fit_score(ours), _fit_score(theirs),
                     _score_diff, repeat=repeat)


def _fm(name, **kw):
    import fastml.ensemble

    return lambda: getattr(fastml.ensemble, name)(**kw)


def _sk(name, **kw):
    import sklearn.ensemble

    return lambda: getattr(sklearn.ensemble, name)(**kw)


RF = {"n_estimators": 100, "random_state": 0, "n_jobs": 2}
GB = {"n_estimators": 100, "random_state": 0}

CASES = [
    _case("RandomForestClassifier", "digits", _digits,
          _fm("RandomForestClassifier", **RF), _sk("RandomForestClassifier", **RF)),
    _case("RandomForestClassifier(max_bins=255)", "digits", _digits,
          _fm("RandomForestClassifier", max_bins=255, **RF), _sk("RandomForestClassifier", **RF)),
    _case("ExtraTreesRegressor", "diabetes", _diabetes,
          _fm("ExtraTreesRegressor", **RF), _sk("ExtraTreesRegressor", **RF)),
    _case("GradientBoostingClassifier", "digits", _digits,
          _fm("GradientBoostingClassifier", n_estimators=30, random_state=0),
          _sk("GradientBoostingClassifier", n_estimators=30, random_state=0), repeat=1),
    _case("GradientBoostingRegressor(max_bins=255)", "diabetes", _diabetes,
          _fm("GradientBoostingRegressor", max_bins=255, **GB),
          _sk("GradientBoostingRegressor", **GB)),
]

__all__ = ["CASES"]
