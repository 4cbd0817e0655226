#!/usr/bin/env python3
"""Writes the seed corpora of the fuzzers kept in test/fuzz/corpus/.

    make-corpus.py [corpus dir] [--qopt-opt build/bin/qopt-opt]
                   (default: the corpus/ beside this script)

  npy/         .npy files for qopt-fuzz-npy: every dtype the runtime reads, ranks
               0 to 5, Fortran order, big-endian, format versions 1 to 3,
               truncated files and broken headers.
  samples/     .npz and .npy files for qopt-fuzz-samples (whose signature is
               x: f32 [1, 4], ids: int64 [1, 3]): good files, int32 ids,
               several members, a compressed member, zip64, broken archives.
  opt-parser/  the lit tests' MLIR under test/Transforms, test/Conversion and
               test/Dialect, split at `// -----`, comment lines dropped; chunks
               that use upstream dialects other than func, arith and tensor
               left out (the fuzzer skips them); with --qopt-opt, the
               pack-weights tests' output too (packed layouts 1, 2, 3).

The corpora are checked in; rerun this after changing it (numpy needed) and
commit what changes. Regression inputs that fuzzing found are kept beside the
generated ones (names starting with `crash-` or `regress-`) and are not
touched here.
"""

import argparse
import io
import os
import re
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np

# Zip members dated 2024-01-01 (zipfile dates them with time.localtime):
# the same bytes on every run.
time.localtime = lambda *_: time.struct_time((2024, 1, 1, 0, 0, 0, 0, 1, 0))

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def npy_bytes(array, version=None):
    out = io.BytesIO()
    if version is None:
        np.save(out, array)
    else:
        np.lib.format.write_array(out, array, version=version)
    return out.getvalue()


def raw_npy(header, data=b"", version=1):
    """A .npy with a header dict written by hand (not validated by numpy)."""
    text = header.encode("latin1")
    pre = 10 if version == 1 else 12
    pad = (64 - (pre + len(text) + 1) % 64) % 64
    text += b" " * pad + b"\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(text)) + text + data


def npz_bytes(members, compressed=False):
    out = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(out, **members)
    return out.getvalue()


def zip_bytes(entries, zip64=False, method=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as z:
        for name, data in entries:
            with z.open(name, "w", force_zip64=zip64) as f:
                f.write(data)
    return out.getvalue()


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def npy_corpus(directory):
    rng = np.random.default_rng(0)
    dtypes = ["<f4", "<f8", "<f2", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "|b1"]
    for dtype in dtypes:
        array = (rng.standard_normal((1, 4)) * 5).astype(dtype)
        write(directory, f"{dtype[1:]}-1x4.npy", npy_bytes(array))
    write(directory, "f4-scalar.npy", npy_bytes(np.float32(1.5)))
    write(directory, "f4-empty.npy", npy_bytes(np.zeros((0, 4), np.float32)))
    write(directory, "f4-rank1.npy", npy_bytes(np.arange(7, dtype=np.float32)))
    write(directory, "i8-rank3.npy", npy_bytes(np.arange(24, dtype=np.int64).reshape(2, 3, 4)))
    write(directory, "u1-rank5.npy", npy_bytes(np.zeros((1, 2, 1, 3, 2), np.uint8)))
    write(directory, "f4-fortran.npy", npy_bytes(np.asfortranarray(np.ones((2, 3), np.float32))))
    write(directory, "f4-big-endian.npy", npy_bytes(np.ones((1, 4), ">f4")))
    write(directory, "f4-v2.npy", npy_bytes(np.ones((1, 4), np.float32), version=(2, 0)))
    write(directory, "f4-v3.npy", npy_bytes(np.ones((1, 4), np.float32), version=(3, 0)))
    write(directory, "unicode.npy", npy_bytes(np.array(["ab", "c"])))
    write(directory, "structured.npy", npy_bytes(np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")])))
    good = npy_bytes(np.ones((1, 4), np.float32))
    write(directory, "truncated-data.npy", good[:-3])
    write(directory, "truncated-header.npy", good[:40])
    write(directory, "magic-only.npy", good[:10])
    write(directory, "empty.npy", b"")
    write(directory, "not-npy.npy", b"PK\x03\x04 this is not a numpy file at all")
    bad = {
        "no-descr": "{'fortran_order': False, 'shape': (1, 4), }",
        "no-shape": "{'descr': '<f4', 'fortran_order': False, }",
        "no-fortran": "{'descr': '<f4', 'shape': (1, 4), }",
        "negative-dim": "{'descr': '<f4', 'fortran_order': False, 'shape': (1, -4), }",
        "rank17": "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 17 + "), }",
        "huge-dims": "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
        "overflowing-dim": "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999, 4), }",
        "unclosed-shape": "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4",
        "short-descr": "{'descr': '<f', 'fortran_order': False, 'shape': (1, 4), }",
        "unquoted-descr": "{'descr': <f4, 'fortran_order': False, 'shape': (1, 4), }",
        "long-descr": "{'descr': '<f4abcdefgh', 'fortran_order': False, 'shape': (1, 4), }",
        "shape-list": "{'descr': '<f4', 'fortran_order': False, 'shape': [1, 4], }",
        "shape-float": "{'descr': '<f4', 'fortran_order': False, 'shape': (1.5, 4), }",
        "key-order": "{'shape': (1, 4), 'fortran_order': False, 'descr': '<f4', }",
        "double-quotes": '{"descr": "<f4", "fortran_order": False, "shape": (1, 4), }',
        "empty-dict": "{}",
    }
    for name, header in bad.items():
        write(directory, f"header-{name}.npy", raw_npy(header, b"\0" * 16))
    write(directory, "header-v2-raw.npy",
          raw_npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3), }", b"\1" * 24, version=2))
    write(directory, "header-version9.npy",
          raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4), }", b"\0" * 16, version=9))
    # A header length far past the end of the file (v2: 32-bit length).
    write(directory, "header-length-huge.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{'descr'")
    write(directory, "header-length-v1.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'")


def samples_corpus(directory):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    ids = np.arange(9, dtype=np.int64).reshape(3, 3)
    write(directory, "good.npz", npz_bytes({"x": x, "ids": ids}))
    write(directory, "good-with-batch.npz", npz_bytes({"x": x.reshape(3, 1, 4), "ids": ids.reshape(3, 1, 3)}))
    write(directory, "ids-int32.npz", npz_bytes({"x": x, "ids": ids.astype(np.int32)}))
    write(directory, "extra-member.npz", npz_bytes({"x": x, "ids": ids, "labels": np.arange(3)}))
    write(directory, "missing-input.npz", npz_bytes({"x": x}))
    write(directory, "sample-count-mismatch.npz", npz_bytes({"x": x, "ids": ids[:2]}))
    write(directory, "wrong-dtype.npz", npz_bytes({"x": x.astype(np.float64), "ids": ids}))
    write(directory, "wrong-shape.npz", npz_bytes({"x": x.reshape(2, 6), "ids": ids}))
    write(directory, "no-samples.npz", npz_bytes({"x": x[:0], "ids": ids[:0]}))
    write(directory, "compressed.npz", npz_bytes({"x": x, "ids": ids}, compressed=True))
    write(directory, "fortran-member.npz", npz_bytes({"x": np.asfortranarray(x), "ids": ids}))
    write(directory, "zip64-members.npz",
          zip_bytes([("x.npy", npy_bytes(x)), ("ids.npy", npy_bytes(ids))], zip64=True))
    write(directory, "deflated-one.npz", _mixed_zip(x, ids))
    write(directory, "no-npy-suffix.npz", zip_bytes([("x", npy_bytes(x)), ("ids", npy_bytes(ids))]))
    write(directory, "empty.zip", zip_bytes([]))
    good = npz_bytes({"x": x, "ids": ids})
    write(directory, "truncated.npz", good[: len(good) // 2])
    write(directory, "tail-only.npz", good[-40:])
    corrupt = bytearray(good)
    eocd = corrupt.rfind(b"PK\x05\x06")
    corrupt[eocd + 16 : eocd + 20] = b"\xf0\xff\xff\xff"  # central directory offset past the end
    write(directory, "bad-directory-offset.npz", bytes(corrupt))
    corrupt = bytearray(good)
    central = corrupt.find(b"PK\x01\x02")
    corrupt[central + 42 : central + 46] = b"\xf0\xff\xff\x7f"  # local header offset past the end
    write(directory, "bad-local-offset.npz", bytes(corrupt))
    corrupt = bytearray(good)
    corrupt[central + 20 : central + 24] = b"\xf0\xff\xff\x7f"  # member size past the end
    write(directory, "bad-member-size.npz", bytes(corrupt))
    # Offsets near 2**64, where `offset + n > size` wraps around (fixed).
    write(directory, "zip64-record-wraps.npz", _zip64_tail(record=2**64 - 16))
    write(directory, "zip64-directory-wraps.npz", _zip64_tail(record=0, directory=2**64 - 20))
    write(directory, "zip64-local-offset-wraps.npz", _zip64_member(offset=2**64 - 8))
    write(directory, "zip64-size-wraps.npz", _zip64_member(offset=0, size=2**64 - 8))
    # .npy inputs: a model with one input (the harness tries both x and ids).
    write(directory, "x.npy", npy_bytes(x))
    write(directory, "ids.npy", npy_bytes(ids))
    write(directory, "ids-int32.npy", npy_bytes(ids.astype(np.int32)))
    write(directory, "ids-batch.npy", npy_bytes(ids.reshape(3, 1, 3)))
    write(directory, "scalar.npy", npy_bytes(np.float32(1.5)))  # rank 0: drop_front on [] (fixed)
    write(directory, "x-huge-samples.npy",
          raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", b"\0" * 64))


def _zip64_tail(record, directory=0, entries=1, prefix=b""):
    """`prefix`, a zip64 end record (at offset len(prefix) unless `record`
    says otherwise), its locator and an end-of-central-directory record that
    defers to them."""
    end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, entries, entries, 46, directory)
    locator = struct.pack("<IIQI", 0x07064B50, 0, record if record else len(prefix), 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return prefix + end + locator + eocd


def _zip64_member(offset, size=16):
    """One stored member whose offset and size are in a zip64 extra field."""
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF, 5, 0)
    local += b"x.npy" + b"\0" * 16
    extra = struct.pack("<HHQQQ", 0x0001, 24, size, size, offset)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, 0, 0xFFFFFFFF,
                          0xFFFFFFFF, 5, len(extra), 0, 0, 0, 0, 0xFFFFFFFF)
    central += b"x.npy" + extra
    return _zip64_tail(record=0, directory=len(local), prefix=local + central)


def _mixed_zip(x, ids):
    """x stored, ids deflated: the compressed member is reported by name."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("x.npy"), npy_bytes(x), compress_type=zipfile.ZIP_STORED)
        z.writestr(zipfile.ZipInfo("ids.npy"), npy_bytes(ids), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# The upstream dialects qopt-fuzz-opt-parser skips (their parsers are
# libMLIR.so's): chunks that use them are left out.
UPSTREAM = re.compile(r"(^|[^%^@\w$.-])(linalg|memref|gpu|math|tosa|scf|llvm|nvvm|nvgpu|vector|affine|"
                      r"bufferization|cf|ub|omp)\.")


def opt_parser_corpus(directory, limit=8192):
    seen = set()
    for sub in ("test/Transforms", "test/Conversion", "test/Dialect"):
        for base, _, files in sorted(os.walk(os.path.join(ROOT, sub))):
            for file in sorted(files):
                if not file.endswith(".mlir"):
                    continue
                with open(os.path.join(base, file)) as f:
                    text = f.read()
                stem = os.path.relpath(os.path.join(base, file), os.path.join(ROOT, "test"))
                stem = stem[: -len(".mlir")].replace(os.sep, "-")
                for i, chunk in enumerate(text.split("// -----")):
                    lines = [l for l in chunk.splitlines() if not l.lstrip().startswith("//")]
                    body = "\n".join(l for l in lines).strip() + "\n"
                    if len(body) < 8 or len(body) > limit or body in seen or UPSTREAM.search(body):
                        continue
                    seen.add(body)
                    write(directory, f"{stem}-{i}.mlir", body.encode())


# Packed weights (qlinear with layout = 1, 2, 3) exist only after
# --qopt-pack-weights: the lit tests' inputs run through qopt-opt.
PACKED = [
    ("Transforms/qopt-pack-weights.mlir", "--qopt-pack-weights", "cpu"),
    ("Transforms/qopt-pack-weights-gpu.mlir", "--qopt-pack-weights=target=sm_80", "sm80"),
    ("Transforms/qopt-pack-weights-gpu.mlir", "--qopt-pack-weights=target=sm_90", "sm90"),
]


def packed_corpus(directory, qopt_opt):
    for test, option, name in PACKED:
        out = subprocess.run([qopt_opt, os.path.join(ROOT, "test", test), "--split-input-file", option,
                              "--canonicalize"], check=True, capture_output=True, text=True).stdout
        for i, chunk in enumerate(out.split("// -----")):
            if chunk.strip():
                write(directory, f"packed-{name}-{i}.mlir", (chunk.strip() + "\n").encode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default=os.path.join(HERE, "corpus"))
    parser.add_argument("--qopt-opt", help="a built qopt-opt: adds packed-weight IR to opt-parser/")
    args = parser.parse_args()
    npy_corpus(os.path.join(args.out, "npy"))
    samples_corpus(os.path.join(args.out, "samples"))
    opt_parser_corpus(os.path.join(args.out, "opt-parser"))
    if args.qopt_opt:
        packed_corpus(os.path.join(args.out, "opt-parser"), args.qopt_opt)


if __name__ == "__main__":
    main()
