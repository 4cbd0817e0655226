"""Rewrites an ONNX model into the forms of an older opset, as an exporter of
that opset would have written it.

    python -m qopt.opset_downgrade model.onnx -o model9.onnx --opset 9

onnx.version_converter is tried first; it has adapters upward for most ops
but downward for few (no Add/Mul/Relu 13 -> 12, no LayerNormalization before
17), so whole models rarely go down through it. This module then rewrites the
ops whose form changed between the target opset and the model's: axes and
split sizes from inputs into attributes (Squeeze/Unsqueeze/Split/Reduce*),
Slice/Pad/Clip/Dropout inputs into attributes, Resize into Resize-10 or
Upsample-9, Softmax over the last axis into the 2-D coerced form,
LayerNormalization / HardSwish / Gelu into their decompositions, Trilu into
Where with a constant mask, value_* Constants into tensors, negative axes
into positive ones before 11, Shape's start/end into a Slice, a missing Gemm
C into zeros. An op that has no equivalent form at the target (Resize
half_pixel before 11, a Range of non-constant inputs before 11...) raises
NotRepresentable with the node named.

Use `qopt.opset_agreement` to check a rewritten model against the original
in ONNX Runtime; this module only rewrites.
"""

import argparse
import sys
import warnings

import numpy as np
import onnx
import onnx.version_converter
from onnx import helper, numpy_helper, shape_inference


class NotRepresentable(Exception):
    pass


def scalar(array):
    """The one value of a scalar or one-element tensor, as a Python float."""
    return float(np.asarray(array).reshape(-1)[0])


def ai_onnx_opset(model):
    return max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))


class Rewriter:
    def __init__(self, model, opset):
        self.opset = opset
        inferred = shape_inference.infer_shapes(model)
        self.shapes = {}
        for value in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
            t = value.type.tensor_type
            if t.HasField("shape"):
                self.shapes[value.name] = [d.dim_value if d.HasField("dim_value") else None
                                           for d in t.shape.dim]
        self.constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
        for node in model.graph.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self.constants[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        for t in model.graph.initializer:
            self.shapes[t.name] = list(t.dims)
        self.nodes, self.initializers = [], []
        self.count = 0

    # --- helpers -------------------------------------------------------
    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}__down{self.count}"

    def const(self, array, prefix):
        name = self.fresh(prefix)
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        self.constants[name] = np.asarray(array)
        return name

    def constant_input(self, node, index):
        if index >= len(node.input) or not node.input[index]:
            return None
        name = node.input[index]
        if name not in self.constants:
            raise NotRepresentable(f"node '{node.name}' ({node.op_type}): input '{name}' must be a "
                                   f"constant to become an attribute at opset {self.opset}")
        return self.constants[name]

    def rank(self, name, node):
        shape = self.shapes.get(name)
        if shape is None:
            raise NotRepresentable(f"node '{node.name}' ({node.op_type}): the rank of '{name}' is unknown")
        return len(shape)

    def positive(self, axes, rank):
        return [int(a) + rank if a < 0 else int(a) for a in axes]

    def emit(self, op_type, inputs, outputs, name, **attributes):
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attributes))

    @staticmethod
    def attributes(node, drop=()):
        def value(attribute):
            v = helper.get_attribute_value(attribute)
            return v.decode() if isinstance(v, bytes) else v
        return {a.name: value(a) for a in node.attribute if a.name not in drop}

    # --- per-op rewrites -----------------------------------------------
    def axes_to_attribute(self, node, first_version, rank_of=None):
        """Squeeze/Unsqueeze/Reduce*: axes input (since first_version) into an attribute."""
        attributes = self.attributes(node)
        inputs = list(node.input)
        if self.opset < first_version and len(inputs) > 1:
            axes = self.constant_input(node, 1)
            inputs = inputs[:1]
            if axes is not None:
                attributes["axes"] = [int(a) for a in np.asarray(axes).reshape(-1)]
        if self.opset < 11 and "axes" in attributes:
            rank = self.rank(rank_of or node.input[0], node)
            attributes["axes"] = self.positive(attributes["axes"], rank)
        if self.opset < first_version and node.op_type.startswith("Reduce"):
            if attributes.pop("noop_with_empty_axes", 0) and "axes" not in attributes:
                self.emit("Identity", inputs, node.output, node.name)
                return
        self.emit(node.op_type, inputs, node.output, node.name, **attributes)

    def rewrite(self, node):
        op = node.op_type
        attributes = self.attributes(node)
        if op in ("Squeeze",):
            return self.axes_to_attribute(node, 13)
        if op == "Unsqueeze":
            return self.axes_to_attribute(node, 13, rank_of=node.output[0])
        if op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2"):
            return self.axes_to_attribute(node, 18)
        if op == "ReduceSum":
            return self.axes_to_attribute(node, 13)
        if op == "Split":
            inputs = list(node.input)
            if self.opset < 13 and len(inputs) > 1 and inputs[1]:
                attributes["split"] = [int(s) for s in self.constant_input(node, 1)]
                inputs = inputs[:1]
            if self.opset < 18 and "num_outputs" in attributes:
                count = attributes.pop("num_outputs")
                dim = self.shapes.get(node.input[0], [None] * 99)[attributes.get("axis", 0)]
                if dim is None:
                    raise NotRepresentable(f"node '{node.name}' (Split): num_outputs needs a static dimension")
                part = -(-dim // count)
                attributes["split"] = [min(part, dim - i * part) for i in range(count)]
            if self.opset < 11:
                attributes["axis"] = self.positive([attributes.get("axis", 0)], self.rank(node.input[0], node))[0]
            return self.emit(op, inputs, node.output, node.name, **attributes)
        if op == "Slice" and self.opset < 10:
            starts, ends = self.constant_input(node, 1), self.constant_input(node, 2)
            axes = self.constant_input(node, 3)
            steps = self.constant_input(node, 4)
            if steps is not None and np.any(np.asarray(steps) != 1):
                raise NotRepresentable(f"node '{node.name}' (Slice): steps before opset 10")
            rank = self.rank(node.input[0], node)
            axes = list(range(len(starts))) if axes is None else self.positive(list(axes), rank)
            clamp = lambda v: int(np.clip(v, -2**62, 2**62))  # noqa: E731 - Slice-1 has no INT64_MAX
            return self.emit(op, node.input[:1], node.output, node.name, starts=[clamp(v) for v in starts],
                             ends=[clamp(v) for v in ends], axes=axes)
        if op == "Slice" and self.opset < 11 and len(node.input) > 3 and node.input[3]:
            axes = self.positive(list(self.constant_input(node, 3)), self.rank(node.input[0], node))
            inputs = list(node.input)
            inputs[3] = self.const(np.array(axes, np.int64), "axes")
            return self.emit(op, inputs, node.output, node.name, **attributes)
        if op == "Clip" and self.opset < 11:
            low, high = self.constant_input(node, 1), self.constant_input(node, 2)
            if low is not None:
                attributes["min"] = scalar(low)
            if high is not None:
                attributes["max"] = scalar(high)
            return self.emit(op, node.input[:1], node.output, node.name, **attributes)
        if op == "Pad" and self.opset < 11:
            pads = self.constant_input(node, 1)
            value = self.constant_input(node, 2)
            if len(node.input) > 3 and node.input[3]:
                raise NotRepresentable(f"node '{node.name}' (Pad): axes before opset 18")
            attributes["pads"] = [int(p) for p in pads]
            if value is not None:
                attributes["value"] = scalar(value)
            return self.emit(op, node.input[:1], node.output, node.name, **attributes)
        if op == "Dropout" and self.opset < 12:
            ratio = self.constant_input(node, 1)
            if len(node.input) > 2 and node.input[2]:
                training = self.constant_input(node, 2)
                if bool(scalar(training)):
                    raise NotRepresentable(f"node '{node.name}' (Dropout): training mode")
            if ratio is not None:
                attributes["ratio"] = scalar(ratio)
            attributes.pop("seed", None)
            return self.emit(op, node.input[:1], node.output[:1], node.name, **attributes)
        if op == "Resize" and self.opset < 11:
            return self.resize_legacy(node, attributes)
        if op in ("Softmax", "LogSoftmax") and self.opset < 13:
            rank = self.rank(node.input[0], node)
            axis = self.positive([attributes.get("axis", -1)], rank)[0]
            if axis != rank - 1:
                raise NotRepresentable(f"node '{node.name}' ({op}): axis {axis} of {rank} is not "
                                       "the 2-D coerced form before opset 13")
            return self.emit(op, node.input, node.output, node.name, axis=axis)
        if op in ("Concat", "Flatten", "Gather") and self.opset < 11 and attributes.get("axis", 0) < 0:
            rank = self.rank(node.input[0], node)
            attributes["axis"] = self.positive([attributes["axis"]], rank)[0]
            return self.emit(op, node.input, node.output, node.name, **attributes)
        if op == "LayerNormalization" and self.opset < 17:
            return self.layer_norm(node, attributes)
        if op == "HardSwish" and self.opset < 14:
            gate = self.fresh(node.name + ".gate")
            self.emit("HardSigmoid", node.input, [gate], gate, alpha=1.0 / 6.0, beta=0.5)
            return self.emit("Mul", [node.input[0], gate], node.output, node.name)
        if op == "Gelu" and self.opset < 20:
            if attributes.get("approximate", "none") != "none":
                raise NotRepresentable(f"node '{node.name}' (Gelu): the tanh approximation")
            dtype = np.float32
            scaled = self.fresh(node.name + ".scaled")
            self.emit("Div", [node.input[0], self.const(np.array(np.sqrt(2.0), dtype), "sqrt2")], [scaled], scaled)
            erf = self.fresh(node.name + ".erf")
            self.emit("Erf", [scaled], [erf], erf)
            shifted = self.fresh(node.name + ".shifted")
            self.emit("Add", [erf, self.const(np.array(1.0, dtype), "one")], [shifted], shifted)
            product = self.fresh(node.name + ".product")
            self.emit("Mul", [node.input[0], shifted], [product], product)
            return self.emit("Mul", [product, self.const(np.array(0.5, dtype), "half")], node.output, node.name)
        if op == "Trilu" and self.opset < 14:
            shape = self.shapes.get(node.input[0])
            if not shape or None in shape[-2:]:
                raise NotRepresentable(f"node '{node.name}' (Trilu): needs static matrix dimensions")
            k = int(scalar(self.constant_input(node, 1))) if len(node.input) > 1 and node.input[1] else 0
            rows, cols = shape[-2:]
            keep = (np.triu if attributes.get("upper", 1) else np.tril)(np.ones((rows, cols), bool), k)
            zero = np.zeros((), self.element_dtype(node.input[0]))
            return self.emit("Where", [self.const(keep, "mask"), node.input[0], self.const(zero, "zero")],
                             node.output, node.name)
        if op == "Constant" and self.opset < 12:
            attribute = node.attribute[0]
            if attribute.name != "value":
                value = {"value_float": np.float32, "value_floats": np.float32,
                         "value_int": np.int64, "value_ints": np.int64}.get(attribute.name)
                if value is None:
                    raise NotRepresentable(f"node '{node.name}' (Constant): {attribute.name}")
                array = np.asarray(helper.get_attribute_value(attribute), value)
                self.constants[node.output[0]] = array
                return self.emit(op, [], node.output, node.name,
                                 value=numpy_helper.from_array(array, node.output[0]))
        if op == "Shape" and self.opset < 15 and ("start" in attributes or "end" in attributes):
            full = self.fresh(node.name + ".full")
            self.emit("Shape", node.input, [full], full)
            slicer = helper.make_node("Slice", [full, self.const(np.array([attributes.get("start", 0)]), "s"),
                                                self.const(np.array([attributes.get("end", 2**62)]), "e"),
                                                self.const(np.array([0]), "a")], node.output, name=node.name)
            return self.rewrite(slicer)
        if op == "Gemm" and self.opset < 11 and (len(node.input) < 3 or not node.input[2]):
            shape = self.shapes.get(node.output[0])
            if not shape or shape[-1] is None:
                raise NotRepresentable(f"node '{node.name}' (Gemm): C is needed before 11")
            zero = self.const(np.zeros(shape[-1], self.element_dtype(node.input[0])), "c")
            return self.emit(op, list(node.input[:2]) + [zero], node.output, node.name, **attributes)
        if op == "Range" and self.opset < 11:
            start, limit, delta = (self.constant_input(node, i) for i in range(3))
            array = np.arange(scalar(start), scalar(limit), scalar(delta)).astype(np.asarray(start).dtype)
            self.constants[node.output[0]] = array
            return self.emit("Constant", [], node.output, node.name,
                             value=numpy_helper.from_array(array, node.output[0]))
        self.nodes.append(node)

    def element_dtype(self, name):
        for t in self.initializers:
            if t.name == name:
                return numpy_helper.to_array(t).dtype
        return np.float32

    def resize_legacy(self, node, attributes):
        mode = attributes.get("mode", "nearest")
        coordinates = attributes.get("coordinate_transformation_mode", "half_pixel")
        nearest = attributes.get("nearest_mode", "round_prefer_floor")
        ok = coordinates == "asymmetric" and (mode == "linear" or nearest == "floor")
        if mode not in ("nearest", "linear") or not ok:
            raise NotRepresentable(f"node '{node.name}' (Resize): {mode} with {coordinates}"
                                   f"{'/' + nearest if mode == 'nearest' else ''} has no form before "
                                   "opset 11 (Resize-10 and Upsample are asymmetric, nearest floors)")
        scales = self.constant_input(node, 2) if len(node.input) > 2 and node.input[2] else None
        if scales is None or np.asarray(scales).size == 0:
            in_shape, out_shape = self.shapes.get(node.input[0]), self.shapes.get(node.output[0])
            if not in_shape or not out_shape or None in in_shape or None in out_shape:
                raise NotRepresentable(f"node '{node.name}' (Resize): sizes need static shapes")
            scales = np.array(out_shape, np.float32) / np.array(in_shape, np.float32)
        scales = self.const(np.asarray(scales, np.float32), "scales")
        op = "Upsample" if self.opset < 10 else "Resize"
        self.emit(op, [node.input[0], scales], node.output, node.name, mode=mode)

    def layer_norm(self, node, attributes):
        rank = self.rank(node.input[0], node)
        axis = self.positive([attributes.get("axis", -1)], rank)[0]
        axes = list(range(axis, rank))
        if self.opset >= 11:
            axes = [a - rank for a in axes]
        eps = attributes.get("epsilon", 1e-5)
        n = lambda suffix: self.fresh(node.name + suffix)  # noqa: E731
        mean, centered, squared, variance, shifted, deviation, normalized = (
            n(s) for s in (".mean", ".centered", ".squared", ".var", ".shifted", ".std", ".norm"))
        self.emit("ReduceMean", [node.input[0]], [mean], mean, axes=axes, keepdims=1)
        self.emit("Sub", [node.input[0], mean], [centered], centered)
        self.emit("Mul", [centered, centered], [squared], squared)
        self.emit("ReduceMean", [squared], [variance], variance, axes=axes, keepdims=1)
        self.emit("Add", [variance, self.const(np.array(eps, np.float32), "eps")], [shifted], shifted)
        self.emit("Sqrt", [shifted], [deviation], deviation)
        self.emit("Div", [centered, deviation], [normalized], normalized)
        if len(node.input) > 2 and node.input[2]:
            scaled = n(".scaled")
            self.emit("Mul", [normalized, node.input[1]], [scaled], scaled)
            self.emit("Add", [scaled, node.input[2]], node.output[:1], node.name)
        else:
            self.emit("Mul", [normalized, node.input[1]], node.output[:1], node.name)


def downgrade(model, opset):
    """`model` in the forms of ai.onnx `opset` (<= its own)."""
    if ai_onnx_opset(model) < opset:
        raise ValueError(f"the model is at opset {ai_onnx_opset(model)}, below {opset}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converted = onnx.version_converter.convert_version(model, opset)
        onnx.checker.check_model(converted)
        return converted
    except Exception:  # noqa: BLE001 - no adapter: rewrite ourselves
        pass
    rewriter = Rewriter(model, opset)
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            rewriter.nodes.append(node)
            continue
        rewriter.rewrite(node)
    graph = helper.make_graph(rewriter.nodes, model.graph.name, model.graph.input, model.graph.output,
                              list(model.graph.initializer) + rewriter.initializers)
    opsets = [o for o in model.opset_import if o.domain not in ("", "ai.onnx")]
    opsets.append(helper.make_opsetid("", opset))
    result = helper.make_model(graph, opset_imports=opsets, producer_name=model.producer_name)
    result.ir_version = max(helper.find_min_ir_version_for(opsets), 4)
    onnx.checker.check_model(result)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--opset", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        onnx.save(downgrade(onnx.load(args.model), args.opset), args.output)
    except NotRepresentable as error:
        print(f"opset_downgrade: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
