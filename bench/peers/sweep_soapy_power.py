#!/usr/bin/env python3
"""Peer for `trustband bench sweep`: soapy_power (PyPI) reading a recording through our SoapySDR
replay module, with the same FFT size, Hann window, 50 % overlap, and every segment of the
recording averaged into one spectrum. Arguments: soapy_power executable, module folder, device
args, sample rate, centre Hz, bins, soapy_power's repeats (bins × repeats = the recording), timed runs, and
optionally the prefix of the devices' serials (one device per run; "peer-" by default). Times each run by soapy_power's own
"Total time" (its measurement, without Python's start-up), and prints one JSON line: best and
median seconds, and the spectrum in dB per Hz in ascending frequency order."""
import json
import os
import re
import subprocess
import sys
import tempfile


def main():
    exe, module_dir, device, rate, centre, bins, segments, repeats = sys.argv[1:9]
    serial = sys.argv[9] if len(sys.argv) > 9 else "peer-"
    env = dict(os.environ, SOAPY_SDR_ROOT="/nonexistent", SOAPY_SDR_PLUGIN_PATH=module_dir)
    times = []
    values = []
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "sweep.csv")
        for n in range(int(repeats)):
            run = subprocess.run([exe, "-d", f"{device},serial={serial}{n}", "-r", rate, "-f", centre, "-b", bins, "-n", segments, "-u", "1",
                                  "--fft-window", "hann", "--fft-overlap", "50", "-D", "none", "-F", "rtl_power", "-O", out],
                                 env=env, capture_output=True, text=True)
            if run.returncode != 0:
                sys.stderr.write(run.stderr)
                sys.exit(1)
            found = re.search(r"Total time: ([0-9.]+) s", run.stderr)
            if not found:
                sys.stderr.write("soapy_power did not say its total time\n" + run.stderr)
                sys.exit(1)
            times.append(float(found.group(1)))
            with open(out) as f:
                row = f.readline().split(",")
            values = [float(v) for v in row[6:]]
    times.sort()
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    print(json.dumps({"best_s": times[0], "median_s": times[len(times) // 2], "db_per_hz": values, "version": version}))


if __name__ == "__main__":
    main()
