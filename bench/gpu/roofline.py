"""Copy bandwidth and bf16 matrix rate of the GPU, measured with PyTorch (present on
the GPU machine). Prints one JSON line: copy_gbs (read + write bytes per second / 1e9)
and bf16_tflops."""
import json
import sys

import torch


def timed(fn, reps):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    fn()
    torch.cuda.synchronize()
    start.record()
    for _ in range(reps):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1000.0 / reps


def main():
    n = 1 << 30  # 1 GiB each way
    src = torch.empty(n, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src), 20)
    m = 8192
    a = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(m, m, dtype=torch.bfloat16, device="cuda")
    mm_s = timed(lambda: a @ b, 20)
    print(json.dumps({"device": torch.cuda.get_device_name(),
                      "copy_gbs": 2 * n / copy_s / 1e9,
                      "bf16_tflops": 2 * m**3 / mm_s / 1e12}))


if __name__ == "__main__":
    sys.exit(main())
