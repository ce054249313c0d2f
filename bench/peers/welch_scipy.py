#!/usr/bin/env python3
"""Peer for `trustband bench psd`: scipy.signal.welch on the same cf32 file with the same
parameters (two-sided, density scaling, no detrending, mean average). Times it two ways:
from the file (np.fromfile + welch, as `trustband` reads the file) and on the array already
in memory (welch alone). Prints one JSON line: best and median Msamples/s of each, and the PSD
as power per bin in ascending frequency order, so the caller can check both computed the same."""
import json
import sys
import time

import numpy as np
import scipy
import scipy.signal as ss


def welch(x, rate, nperseg, noverlap, window):
    _, p = ss.welch(x, fs=rate, window=window, nperseg=nperseg, noverlap=noverlap, detrend=False,
                    return_onesided=False, scaling="density", average="mean")
    return p


def main() -> None:
    path, rate, nperseg, noverlap, window, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
    from_file, in_memory = [], []
    p = None
    for _ in range(repeats):
        start = time.perf_counter()
        x = np.fromfile(path, dtype=np.complex64)
        loaded = time.perf_counter()
        p = welch(x, rate, nperseg, noverlap, window)
        done = time.perf_counter()
        from_file.append(done - start)
        in_memory.append(done - loaded)
    from_file.sort()
    in_memory.sort()
    power = np.fft.fftshift(p) * rate / nperseg
    n = len(x)
    print(json.dumps({
        "best_msps": n / in_memory[0] / 1e6,
        "median_msps": n / in_memory[len(in_memory) // 2] / 1e6,
        "file_best_msps": n / from_file[0] / 1e6,
        "file_median_msps": n / from_file[len(from_file) // 2] / 1e6,
        "power": [float(v) for v in power],
        "scipy": scipy.__version__,
    }))


if __name__ == "__main__":
    main()
