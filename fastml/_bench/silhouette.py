"""`fastml bench` rows for silhouette_score."""

from fastml._bench import BenchCase


def _blobs():
    from sklearn.datasets import make_blobs

    return make_blobs(4000, 32, centers=8, random_state=0)


def _digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def _fastml(data):
    from fastml.metrics import silhouette_score

    return silhouette_score(*data)


def _sklearn(data):
    from sklearn.metrics import silhouette_score

    return silhouette_score(*data)


def _parity(ours, theirs):
    return f"abs diff={abs(ours - theirs):.1e}"


CASES = [
    BenchCase("silhouette_score", "blobs 4000x32", _blobs, _fastml, _sklearn, _parity),
    BenchCase("silhouette_score", "digits 1797x64", _digits, _fastml, _sklearn, _parity),
]
