#!/usr/bin/python3
"""Whether two builds of cnngen generate the same code: for a refactor that must change nothing.

`snapshot` compiles every example (examples/*/*.net) and the block cases of the differential corpus
(tests/differential/blocks_*.net) with one cnngen binary, for each target, with weights embedded
(random ones, the same for every snapshot: tools/difftest.py's draw) and as arguments, and keeps
`cnngen schedule`'s report and the SHA-256 of every object file in the library. `compare` lists
what differs between two snapshots; no output but the summary line means the same code.

  /usr/bin/python3 tools/same_codegen.py snapshot --cnngen build/cnngen --out /tmp/before
  /usr/bin/python3 tools/same_codegen.py snapshot --cnngen build/cnngen --out /tmp/after
  /usr/bin/python3 tools/same_codegen.py compare /tmp/before /tmp/after

The object files embed no time or path, so the same generated code gives the same bytes (checked:
LeNet compiled twice). The weights are drawn from the graph of the first snapshot's binary and
reused from --weights-dir when given, so that a refactor of the front end cannot change them.
"""
import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import difftest  # noqa: E402
import net_to_torch  # noqa: E402
import safetensors_io  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ["host", "x86-64-linux-avx2"]


def models():
    nets = sorted(glob.glob(os.path.join(ROOT, "examples", "*", "*.net")))
    nets += sorted(glob.glob(os.path.join(ROOT, "tests", "differential", "blocks_*.net")))
    return nets


def weights_for(net, directory):
    """The weights file of `net` in `directory`, drawn once (difftest's draw, seed 0)."""
    path = os.path.join(directory, os.path.basename(net)[:-4] + ".safetensors")
    if not os.path.exists(path):
        graph = net_to_torch.graph(net)
        safetensors_io.save(difftest.draw_weights(graph, 0), path)
    return path


def object_digests(library):
    """SHA-256 of each member of the archive, in archive order (a member's name holds a temporary
    file's name, so only the order and the contents count)."""
    names = subprocess.run(["ar", "t", library], capture_output=True, text=True, check=True).stdout.split()
    return [hashlib.sha256(subprocess.run(["ar", "p", library, name], capture_output=True, check=True).stdout).hexdigest()
            for name in names]


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"same_codegen: {' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    return done.stdout


def snapshot(options):
    os.makedirs(options.out, exist_ok=True)
    weights_dir = options.weights_dir or os.path.join(options.out, "weights")
    os.makedirs(weights_dir, exist_ok=True)
    os.environ["CNNGEN"] = options.cnngen
    result = {}
    with tempfile.TemporaryDirectory(prefix="same_codegen-") as work:
        for net in models():
            name = os.path.basename(net)[:-4]
            weights = weights_for(net, weights_dir)
            for target in TARGETS:
                for embedded in (True, False):
                    key = f"{name} {target} {'embedded' if embedded else 'arguments'}"
                    flags = ["--target", target] + (["--weights", weights] if embedded else [])
                    report = run([options.cnngen, "schedule", net] + flags) if embedded else ""
                    library = os.path.join(work, "model.a")
                    run([options.cnngen, net, "-o", library, "--name", "model"] + flags)
                    with open(os.path.join(work, "model.h")) as f:
                        header = hashlib.sha256(f.read().encode()).hexdigest()
                    result[key] = {"report": report, "objects": object_digests(library), "header": header}
                    print(f"same_codegen: {key}", flush=True)
    with open(os.path.join(options.out, "snapshot.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    return 0


def compare(options):
    with open(os.path.join(options.a, "snapshot.json")) as f:
        a = json.load(f)
    with open(os.path.join(options.b, "snapshot.json")) as f:
        b = json.load(f)
    differ = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key}: only in {'the second' if key not in a else 'the first'}")
            differ += 1
            continue
        for part in ("report", "objects", "header"):
            if a[key][part] != b[key][part]:
                print(f"{key}: the {part} differs")
                differ += 1
    print(f"same_codegen: {len(set(a) & set(b))} compilations compared, {differ} differences")
    return 1 if differ else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("snapshot")
    p.add_argument("--cnngen", default=os.path.join(ROOT, "build", "cnngen"))
    p.add_argument("--out", required=True)
    p.add_argument("--weights-dir", help="reuse (or write) the weights here")
    p = commands.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    options = parser.parse_args()
    return {"snapshot": snapshot, "compare": compare}[options.command](options)


if __name__ == "__main__":
    sys.exit(main())
