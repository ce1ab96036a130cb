"""The child process that builds a model pickle for one runtime image, in that image's
environment: the same ``predict`` function the portable form builds at load time, built here
ahead of time and cloudpickled by the image's own Python and cloudpickle, with the LightGBM
boosters as native ``lightgbm.Booster`` objects.

Run as a script (``python -I _builder.py SOURCE PAYLOAD.json OUT``) by the runtime environment's
interpreter, never imported by numerpilot. The source (``_predictor_source.py``'s text) is
compiled into a module that is not in ``sys.modules``, so cloudpickle stores its functions by
value and the pickle needs nothing from numerpilot. The result is an ordinary cloudpickle of a
function, which is what Numerai's examples upload and what its scanner expects to see; no
``eval`` or ``exec`` is in it.
"""

from __future__ import annotations

import json
import os
import sys
import types

import cloudpickle

MODULE_NAME = "numerpilot_model"


def main(argv: list[str]) -> None:
    source_path, payload_path, out_path = argv
    with open(source_path, encoding="utf-8") as f:
        source = f.read()
    with open(payload_path, encoding="utf-8") as f:
        payload = json.load(f)
    module = types.ModuleType(MODULE_NAME)
    exec(compile(source, f"<{MODULE_NAME}>", "exec"), module.__dict__)
    predict = module.build(payload)
    data = cloudpickle.dumps(predict)
    loaded = cloudpickle.loads(data)  # it loads in this very interpreter
    if not callable(loaded):
        sys.exit(f"the built pickle loads as {type(loaded).__name__}, not a function")
    tmp = out_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out_path)


if __name__ == "__main__":
    main(sys.argv[1:])
