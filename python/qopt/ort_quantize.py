"""Quantize an ONNX model with ONNX Runtime's own quantizers (the peers).

    python -m qopt.ort_quantize matmulnbits in.onnx out.onnx [--block 32] [--bits 4] [--symmetric]
    python -m qopt.ort_quantize qdq in.onnx out.onnx [--per-channel]

MatMulNBits: onnxruntime.quantization.matmul_nbits_quantizer (RTN by
default), MatMul weights to com.microsoft MatMulNBits.
QDQ: onnxruntime.quantization.quantize_static in QDQ format, int8 weights
(per tensor or per channel) and uint8 activations, calibrated on random
normal inputs of the model's input shapes.
"""

import argparse
import logging
import sys

import onnx


def matmulnbits(model: onnx.ModelProto, block: int, bits: int, symmetric: bool) -> onnx.ModelProto:
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer
    quantizer = MatMulNBitsQuantizer(model, block_size=block, is_symmetric=symmetric, bits=bits)
    quantizer.process()
    return quantizer.model.model


def qdq(input_path: str, output_path: str, per_channel: bool, samples: int = 8) -> None:
    import numpy as np
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    model = onnx.load(input_path)
    rng = np.random.default_rng(0)
    feeds = [{i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
              for i in model.graph.input} for _ in range(samples)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter(feeds)

        def get_next(self):
            return next(self.data, None)

    quantize_static(input_path, output_path, Reader(), quant_format=QuantFormat.QDQ,
                    per_channel=per_channel, weight_type=QuantType.QInt8,
                    activation_type=QuantType.QUInt8)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=["matmulnbits", "qdq"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--block", type=int, default=32)
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--symmetric", action="store_true")
    parser.add_argument("--per-channel", action="store_true")
    args = parser.parse_args(argv)
    logging.getLogger("onnxruntime").setLevel(logging.WARNING)
    logging.disable(logging.WARNING)
    if args.method == "qdq":
        qdq(args.input, args.output, args.per_channel)
    else:
        onnx.save(matmulnbits(onnx.load(args.input), args.block, args.bits, args.symmetric), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
