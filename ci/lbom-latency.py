#!/usr/bin/python3
"""l-bom's in-process latency, beside `modelgate serve`'s (make bench).

    PYTHONPATH=LBOM_DIR lbom-latency.py DIR N RATE

Lists the GGUF and safetensors files below DIR in the order servebench
does (names sorted, depth at most 4), then, in this one long-lived
process, calls l-bom's document builder (llm_sbom.cli.build_sbom_document,
with the SHA-256, as the serve `bom` tool computes it) N times over them,
paced at RATE calls per second (0: back to back).  200 calls warm up
first.  A latency is the builder's own time, no pipe and no rendering:
the floor of what an agent calling l-bom in-process waits.  Prints p50,
p99, p99.9 and max in servebench's format.
"""
import os
import sys
import time
from pathlib import Path

WARMUP = 200


def find_files(d, depth, out):
    if depth > 4:
        return
    try:
        names = sorted(os.listdir(d))
    except OSError:
        return
    for name in names:
        if name.startswith("."):
            continue
        p = os.path.join(d, name)
        if os.path.isdir(p):
            find_files(p, depth + 1, out)
        elif name.endswith(".gguf") or name.endswith(".safetensors"):
            out.append(Path(p))


def pct(v, q):
    i = int(q * (len(v) - 1) + 0.5)
    return v[min(i, len(v) - 1)]


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: lbom-latency.py DIR N RATE\n")
        return 2
    from llm_sbom.cli import build_sbom_document

    files = []
    find_files(sys.argv[1], 0, files)
    n, rate = int(sys.argv[2]), float(sys.argv[3])
    if not files or n <= 0:
        sys.stderr.write("lbom-latency: no files or no calls\n")
        return 1
    for i in range(WARMUP):
        build_sbom_document(files[i % len(files)], True)
    lat = [0.0] * n
    clock = time.perf_counter
    t0 = nxt = clock()
    for i in range(n):
        if rate > 0:
            d = nxt - clock()
            if d > 0:
                time.sleep(d)
            nxt += 1.0 / rate
        a = clock()
        build_sbom_document(files[i % len(files)], True)
        lat[i] = clock() - a
    secs = clock() - t0
    lat.sort()
    p50, p99 = pct(lat, 0.50), pct(lat, 0.99)
    what = "l-bom in-process (%s)" % ("paced" if rate > 0 else "saturation")
    print("%-26s n=%d  p50 %.3f ms  p99 %.3f ms  p99.9 %.3f ms  max %.3f ms"
          "  p99/p50 %.2f  %.0f calls/s" % (what, n, p50 * 1e3, p99 * 1e3,
                                            pct(lat, 0.999) * 1e3,
                                            lat[-1] * 1e3, p99 / p50,
                                            n / secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
