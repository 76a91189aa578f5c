#!/usr/bin/env python3
"""hls4ml's own resource estimators on a list of layers, for comparison with qdse's hw model.

hls4ml 1.3.0 ships per-layer estimators for its DSP-aware pruning
(hls4ml/optimization/dsp_aware_pruning/objectives/vivado_objectives.py):
  VivadoDSPEstimator             -> [DSP]
  VivadoMultiObjectiveEstimator  -> [DSP, BRAM]
  VivadoFFEstimator              -> [FF]
Each reads a LayerAttributes: weight_shape, output_shape and args['hls4ml_attributes']
(an hls4mlAttributes: n_in, n_out, io_type, strategy, weight/output precision, reuse factor).
This driver builds those objects as hls4ml's get_attributes_from_keras_model and
get_attributes_from_keras_model_and_hls4ml_config do (Keras shapes: a Dense kernel is
(n_in, n_out), a Conv2D kernel (k_h, k_w, C_in, C_out), an output shape drops the batch),
calls layer_resources() of each estimator and prints one JSON object:

  {"hls4ml_version": "...", "cases": [{"dsp": [..], "dsp_bram": [..], "ff": [..]}, ...]}

one entry per input case, in input order. Every figure is computed by hls4ml's code; the
driver only builds the arguments and converts numpy integers to JSON.

Loading without TensorFlow (not installed, and it must not be): the package
hls4ml.optimization.dsp_aware_pruning's __init__ imports its keras/ subpackage, and
attributes.py imports keras/config.py, which imports tensorflow and qkeras only to list
the Keras layer classes it can prune (SUPPORTED_LAYERS). The driver therefore registers
in sys.modules, before importing anything from there:
  - hls4ml.optimization.dsp_aware_pruning: an empty package module whose __path__ is the
    real directory (so its submodules load from hls4ml's own files, but its __init__ does
    not run);
  - hls4ml.optimization.dsp_aware_pruning.keras: likewise, for its keras/ directory;
  - hls4ml.optimization.dsp_aware_pruning.keras.config: a module with SUPPORTED_LAYERS = ()
    (no estimator reads it).
Then it imports objectives/vivado_objectives.py and attributes.py from hls4ml's files.

Input: a JSON file, a list of cases
  {"kind": "dense"|"conv2d", "n_in", "n_out"            (dense: in/out features)
   "in_channels", "out_channels", "kernel_h", "kernel_w", "out_h", "out_w"  (conv2d)
   "strategy": "Latency"|"Resource", "reuse_factor", "parallelization_factor",
   "weight": [width, integer], "output": [width, integer]}

  .venv/bin/python tests/hw/hls4ml_estimators.py CASES.json
Exit status 0 on success, 2 when hls4ml's estimators cannot be loaded or a case is malformed.
"""
import importlib
import json
import os
import sys
import types


def fail(message):
    print(f"hls4ml_estimators: {message}", file=sys.stderr)
    sys.exit(2)


def load_hls4ml_estimators():
    """(vivado_objectives module, attributes module, hls4ml.model.types, version)."""
    try:
        import hls4ml
        import hls4ml.model.types as hls_types
        import hls4ml.optimization as hls_opt
    except ImportError as e:
        fail(f"cannot import hls4ml ({e}); scripts/optuna-venv.sh installs it into .venv")
    pkg_name = "hls4ml.optimization.dsp_aware_pruning"
    pkg_dir = os.path.join(os.path.dirname(hls_opt.__file__), "dsp_aware_pruning")
    if not os.path.isfile(os.path.join(pkg_dir, "objectives", "vivado_objectives.py")):
        fail(f"hls4ml {hls4ml.__version__} has no {pkg_dir}/objectives/vivado_objectives.py")

    def stub_package(name, path):
        module = types.ModuleType(name)
        module.__path__ = [path]
        module.__package__ = name
        sys.modules[name] = module
        return module

    stub_package(pkg_name, pkg_dir)
    stub_package(pkg_name + ".keras", os.path.join(pkg_dir, "keras"))
    keras_config = types.ModuleType(pkg_name + ".keras.config")
    keras_config.SUPPORTED_LAYERS = ()  # the Keras layer classes; no estimator reads them
    sys.modules[keras_config.__name__] = keras_config

    vivado = importlib.import_module(pkg_name + ".objectives.vivado_objectives")
    attributes = importlib.import_module(pkg_name + ".attributes")
    return vivado, attributes, hls_types, hls4ml.__version__


def keras_shapes(case):
    """(kernel shape, output shape without the batch) as Keras reports them."""
    if case["kind"] == "dense":
        return (case["n_in"], case["n_out"]), (case["n_out"],)
    if case["kind"] == "conv2d":
        return (
            (case["kernel_h"], case["kernel_w"], case["in_channels"], case["out_channels"]),
            (case["out_h"], case["out_w"], case["out_channels"]),
        )
    fail(f"unknown layer kind {case['kind']!r}")


def layer_attributes(case, attributes, hls_types):
    weight_shape, output_shape = keras_shapes(case)
    n_in = weight_shape[0] if case["kind"] == "dense" else case["kernel_h"] * case["kernel_w"] * case["in_channels"]
    n_out = weight_shape[-1]
    hls = attributes.hls4mlAttributes(
        n_in,
        n_out,
        "io_parallel",
        case["strategy"],
        hls_types.FixedPrecisionType(case["weight"][0], case["weight"][1]),
        hls_types.FixedPrecisionType(case["output"][0], case["output"][1]),
        case["reuse_factor"],
        case.get("parallelization_factor", 1),
    )
    return attributes.LayerAttributes(
        case.get("name", "layer"),
        None,  # the Keras class; read only by ParameterEstimator
        [],
        weight_shape,
        None,
        output_shape,
        True,
        attributes.OptimizationAttributes(),
        {"hls4ml_attributes": hls},
    )


def as_ints(values):
    return [int(v) for v in values]


def main():
    if len(sys.argv) != 2:
        fail("usage: hls4ml_estimators.py CASES.json")
    try:
        with open(sys.argv[1]) as f:
            cases = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {sys.argv[1]}: {e}")
    vivado, attributes, hls_types, version = load_hls4ml_estimators()
    out = []
    for i, case in enumerate(cases):
        try:
            la = layer_attributes(case, attributes, hls_types)
        except (KeyError, TypeError) as e:
            fail(f"case {i}: {e!r}")
        out.append(
            {
                "dsp": as_ints(vivado.VivadoDSPEstimator.layer_resources(la)),
                "dsp_bram": as_ints(vivado.VivadoMultiObjectiveEstimator.layer_resources(la)),
                "ff": as_ints(vivado.VivadoFFEstimator.layer_resources(la)),
            }
        )
    json.dump({"hls4ml_version": version, "cases": out}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
