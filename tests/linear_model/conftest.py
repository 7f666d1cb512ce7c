import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def _single_blas_thread():
    # parity tests: scikit-learn's BLAS threads only slow tiny problems on a shared box
    with threadpool_limits(limits=1, user_api="blas"):
        yield
