"""Makes the cloudpickle fixtures ``cloudpickle_py3XX.pkl`` of the runtime tests.

Run once per Python minor version with cloudpickle installed, from this folder:
``python3.X make_foreign_pickles.py``. Each file holds a cloudpickled ``predict`` function
with the bytecode of the Python that ran this script, as a user's own upload would; the tests
check that the scanner names that version without loading the pickle.
"""

import sys

import cloudpickle


def predict(live_features, live_benchmark_models=None):
    ranked = live_features[["feature_a"]].rank(pct=True)
    return ranked.rename(columns={"feature_a": "prediction"})


if __name__ == "__main__":
    name = f"cloudpickle_py{sys.version_info[0]}{sys.version_info[1]}.pkl"
    with open(name, "wb") as f:
        f.write(cloudpickle.dumps(predict))
    print("wrote", name)
