#!/usr/bin/env python3
"""Peer for `trustband bench psd`: scipy.signal.welch on the same cf32 file with the same
parameters (two-sided, density scaling, no detrending, mean average). Prints one JSON line:
best and median Msamples/s, and the PSD as power per bin in ascending frequency order, so the
caller can check both computed the same thing."""
import json
import sys
import time

import numpy as np
import scipy
import scipy.signal as ss


def main() -> None:
    path, rate, nperseg, noverlap, window, repeats = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
    x = np.fromfile(path, dtype=np.complex64)
    times = []
    p = None
    for _ in range(repeats):
        start = time.perf_counter()
        _, p = ss.welch(x, fs=rate, window=window, nperseg=nperseg, noverlap=noverlap, detrend=False,
                        return_onesided=False, scaling="density", average="mean")
        times.append(time.perf_counter() - start)
    times.sort()
    power = np.fft.fftshift(p) * rate / nperseg
    print(json.dumps({
        "best_msps": len(x) / times[0] / 1e6,
        "median_msps": len(x) / times[len(times) // 2] / 1e6,
        "power": [float(v) for v in power],
        "scipy": scipy.__version__,
    }))


if __name__ == "__main__":
    main()
