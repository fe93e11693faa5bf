#!/usr/bin/env python3
"""What preallocating an image costs at CreateVolume (issue 24, item 5): the time to make one image file of a
given size, sparse (ftruncate, the old way) or preallocated (fallocate(1) then ftruncate, as the driver does),
median and maximum of 15 runs per size. Each file is removed before the next is made, so at most one image of
the largest size ever exists: the directory's filesystem needs that much free.

    python3 hack/preallocation-latency.py DIR [SIZE_MIB ...]     (default sizes: 1024 10240)
"""
import os
import subprocess
import sys
import time


def make(path, size, preallocate):
    started = time.perf_counter()
    fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_TRUNC, 0o600)
    try:
        if preallocate:
            subprocess.run(["fallocate", "--keep-size", "--offset", "0", "--length", str(size), "--", path],
                           check=True)
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)
    return time.perf_counter() - started


def main():
    directory = sys.argv[1]
    sizes = [int(s) << 20 for s in sys.argv[2:]] or [1 << 30, 10 << 30]
    path = os.path.join(directory, "ordinal-preallocation-latency.img")
    for size in sizes:
        for preallocate in (False, True):
            runs = []
            for _ in range(15):
                try:
                    runs.append(make(path, size, preallocate))
                finally:
                    if os.path.exists(path):
                        os.unlink(path)
            runs.sort()
            print("%6d MiB %-12s median %6.1f ms  max %6.1f ms" % (size >> 20,
                  "preallocated" if preallocate else "sparse", runs[7] * 1000, runs[-1] * 1000))


if __name__ == "__main__":
    main()
