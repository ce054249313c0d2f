#!/usr/bin/env python3
"""Peer for `trustband bench convert`: numpy converting the same bytes to complex64 with the
same (SigMF / sigmf-python) scaling. Prints one JSON line: best and median Msamples/s, and the
SHA-256 of the float32 output so the caller can check both produced identical bits."""
import hashlib
import json
import sys
import time

import numpy as np


def convert(raw: bytes, datatype: str) -> np.ndarray:
    if datatype == "cu8":
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - np.float32(128)) * np.float32(2.0 ** -7)
    if datatype == "ci8":
        return np.frombuffer(raw, np.int8).astype(np.float32) * np.float32(2.0 ** -7)
    if datatype == "ci16_le":
        return np.frombuffer(raw, "<i2").astype(np.float32) * np.float32(2.0 ** -15)
    if datatype == "cf32_le":
        return np.frombuffer(raw, "<f4").astype(np.float32)  # a copy, as ours is
    raise SystemExit(f"unknown datatype {datatype}")


def main() -> None:
    path, datatype, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
    raw = open(path, "rb").read()
    samples = len(raw) // {"cu8": 2, "ci8": 2, "ci16_le": 4, "cf32_le": 8}[datatype]
    times = []
    out = None
    for _ in range(repeats):
        start = time.perf_counter()
        out = convert(raw, datatype)
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({
        "best_msps": samples / times[0] / 1e6,
        "median_msps": samples / times[len(times) // 2] / 1e6,
        "sha256": hashlib.sha256(out.tobytes()).hexdigest(),
        "numpy": np.__version__,
    }))


if __name__ == "__main__":
    main()
