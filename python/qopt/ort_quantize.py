"""Quantize an ONNX model with ONNX Runtime's own quantizers (the peers).

    python -m qopt.ort_quantize matmulnbits in.onnx out.onnx [--block 32] [--bits 4] [--symmetric]

MatMulNBits: onnxruntime.quantization.matmul_nbits_quantizer (RTN by
default), MatMul weights to com.microsoft MatMulNBits.
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("method", choices=["matmulnbits"])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--block", type=int, default=32)
    parser.add_argument("--bits", type=int, default=4)
    parser.add_argument("--symmetric", action="store_true")
    args = parser.parse_args(argv)
    logging.getLogger("onnxruntime").setLevel(logging.WARNING)
    logging.disable(logging.INFO)
    model = matmulnbits(onnx.load(args.input), args.block, args.bits, args.symmetric)
    onnx.save(model, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
