"""Times one model at one batch size in one of the engines cnngen is compared with, and prints one
JSON line like bench/model_bench.cpp does. Run by bench/run.py as a subprocess:
  torch:               /usr/bin/python3 engines.py torch MODEL.net WEIGHTS.safetensors - BATCH SECONDS [EVICT_MB]
  onnxruntime/openvino: python3 engines.py ENGINE - - MODEL.onnx BATCH SECONDS [EVICT_MB]   (PyPI interpreter)
Every engine uses all cores (intra-op threads = nproc), float32, inference mode. With EVICT_MB, every
call is preceded (untimed) by a read of that many MB, as model_bench.cpp's --evict-mb does."""
import json
import os
import sys
import time


def peak_resident_mb():
    """VmHWM of this process (ru_maxrss would include the parent's memory, kept across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def evictor(megabytes):
    """A function that reads `megabytes` MB, one 8-byte word per 64-byte line, or None for 0."""
    if megabytes <= 0:
        return None
    import numpy as np
    words = np.ones(int(megabytes * (1 << 20)) // 8, dtype=np.int64)
    return lambda: int(words[::8].sum())


def measure(call, seconds, before=None):
    call()  # warm-up
    times = []
    begin = time.perf_counter()
    while len(times) < 3 or time.perf_counter() - begin < seconds:
        if before:
            before()
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2], len(times)


def main():
    engine, model, weights, onnx_path, batch, seconds = sys.argv[1:7]
    batch, seconds, threads = int(batch), float(seconds), os.cpu_count()
    before = evictor(float(sys.argv[7]) if len(sys.argv) > 7 else 0)
    if engine == "torch":
        import torch
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
        import modern_cnns
        import net_to_torch
        import safetensors_io
        torch.set_num_threads(threads)
        name = os.path.splitext(os.path.basename(model))[0]
        if name in modern_cnns.MODELS:  # ResNet-18 as torchvision defines it
            shape, net = modern_cnns.MODELS[name][1], modern_cnns.build(name)
        else:
            _, shape, net = net_to_torch.build(model)
        net.eval()
        net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in safetensors_io.load(weights).items()})
        x = torch.rand((batch,) + shape)
        with torch.inference_mode():
            result = measure(lambda: net(x), seconds, before)
    elif engine == "onnxruntime":
        import numpy as np
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        shape = [batch] + [d for d in session.get_inputs()[0].shape[1:]]
        x = np.random.rand(*shape).astype(np.float32)
        result = measure(lambda: session.run(None, {"input": x}), seconds, before)
    elif engine == "openvino":
        import numpy as np
        import openvino as ov
        core = ov.Core()
        compiled = core.compile_model(onnx_path, "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                         "INFERENCE_PRECISION_HINT": "f32"})
        request = compiled.create_infer_request()
        shape = [batch] + [d.get_length() for d in compiled.input(0).get_partial_shape()[1:]]
        x = np.random.rand(*shape).astype(np.float32)
        result = measure(lambda: request.infer({0: x}), seconds, before)
    else:
        raise SystemExit(f"unknown engine {engine}")
    rss = peak_resident_mb()
    print(json.dumps({"engine": engine, "batch": batch, "seconds": result[0], "calls": result[1],
                      "peak_rss_mb": rss}))


if __name__ == "__main__":
    main()
