#!/usr/bin/python3
"""Whether two builds of cnngen generate the same code: for a refactor that must change nothing.

`snapshot` compiles every example (examples/*/*.net) and the block cases of the differential corpus
(tests/differential/blocks_*.net) with one cnngen binary, for each target, with weights embedded
(random ones, the same for every snapshot: tools/difftest.py's draw) and as arguments, and keeps
`cnngen schedule`'s report, the generated header's SHA-256, and for every object file in the
library the SHA-256 of its bytes and of its disassembly (with relocations, Halide's unique-name
numbers blanked out). `compare` lists what differs between two snapshots: a report, a header, the
code, or only the numbers Halide's unique names carry; no line but the summary means the same.

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
import re
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


# Halide 14 makes names unique with one process-wide counter ("fc$92_global_wrapper$0", unnamed
# Funcs "f12", Vars "v29"), which every default-constructed Func or Var advances: code that
# constructs one more or fewer shifts the numbers in later names without changing an instruction.
UNIQUE_NUMBERS = re.compile(r"(__|\$|(?<![A-Za-z0-9])[fvt])\d+")


def object_digests(library):
    """For each member of the archive, in archive order (a member's name holds a temporary file's
    name, so only the order and the contents count): the SHA-256 of its bytes, and of its
    disassembly with relocations, Halide's unique-name numbers blanked out."""
    names = subprocess.run(["ar", "t", library], capture_output=True, text=True, check=True).stdout.split()
    digests = []
    with tempfile.TemporaryDirectory(prefix="same_codegen-") as work:
        for index, name in enumerate(names):
            data = subprocess.run(["ar", "p", library, name], capture_output=True, check=True).stdout
            path = os.path.join(work, f"{index}.o")
            with open(path, "wb") as f:
                f.write(data)
            listing = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", path], capture_output=True,
                                     text=True, check=True).stdout
            listing = UNIQUE_NUMBERS.sub(r"\1#", listing.split("\n", 2)[-1])  # past the file's name
            digests.append({"bytes": hashlib.sha256(data).hexdigest(),
                            "instructions": hashlib.sha256(listing.encode()).hexdigest()})
    return digests


def run(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"same_codegen: {' '.join(command)} exited with {done.returncode}:\n{done.stderr}")
    return done.stdout


def snapshot(options):
    os.makedirs(options.out, exist_ok=True)
    only = set(options.only.split(",")) if options.only else None
    weights_dir = options.weights_dir or os.path.join(options.out, "weights")
    os.makedirs(weights_dir, exist_ok=True)
    os.environ["CNNGEN"] = options.cnngen
    result = {}
    with tempfile.TemporaryDirectory(prefix="same_codegen-") as work:
        for net in models():
            name = os.path.basename(net)[:-4]
            if only is not None and name not in only:
                continue
            weights = weights_for(net, weights_dir)
            for target in TARGETS:
                for embedded in (True, False):
                    key = f"{name} {target} {'embedded' if embedded else 'arguments'}"
                    flags = ["--target", target] + (["--weights", weights] if embedded else [])
                    report = run([options.cnngen, "schedule", net] + flags) if embedded else ""
                    library = os.path.join(work, "model.a")
                    run([options.cnngen, net, "-o", library, "--name", "model"] + flags)
                    with open(os.path.join(work, "model.h")) as f:
                        header = f.read()
                    result[key] = {"report": report, "objects": object_digests(library),
                                   "header": {"bytes": hashlib.sha256(header.encode()).hexdigest(),
                                              "names": hashlib.sha256(UNIQUE_NUMBERS.sub(r"\1#", header).encode()).hexdigest()}}
                    print(f"same_codegen: {key}", flush=True)
    with open(os.path.join(options.out, "snapshot.json"), "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
    return 0


def compare(options):
    with open(os.path.join(options.a, "snapshot.json")) as f:
        a = json.load(f)
    with open(os.path.join(options.b, "snapshot.json")) as f:
        b = json.load(f)
    differ = renumbered = 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            print(f"{key}: only in {'the second' if key not in a else 'the first'}")
            differ += 1
            continue
        if a[key]["report"] != b[key]["report"]:
            print(f"{key}: the report differs")
            differ += 1
        if a[key]["header"]["names"] != b[key]["header"]["names"]:
            print(f"{key}: the header differs")
            differ += 1
        bytes_a = [o["bytes"] for o in a[key]["objects"]] + [a[key]["header"]["bytes"]]
        bytes_b = [o["bytes"] for o in b[key]["objects"]] + [b[key]["header"]["bytes"]]
        code_a = [o["instructions"] for o in a[key]["objects"]]
        code_b = [o["instructions"] for o in b[key]["objects"]]
        if code_a != code_b:
            print(f"{key}: the code differs")
            differ += 1
        elif bytes_a != bytes_b:
            print(f"{key}: the same instructions, Halide's unique-name numbers differ")
            renumbered += 1
    print(f"same_codegen: {len(set(a) & set(b))} compilations compared, {differ} differences, "
          f"{renumbered} with only names renumbered")
    return 1 if differ else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("snapshot")
    p.add_argument("--cnngen", default=os.path.join(ROOT, "build", "cnngen"))
    p.add_argument("--out", required=True)
    p.add_argument("--weights-dir", help="reuse (or write) the weights here")
    p.add_argument("--only", help="these models alone (comma-separated names)")
    p = commands.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    options = parser.parse_args()
    return {"snapshot": snapshot, "compare": compare}[options.command](options)


if __name__ == "__main__":
    sys.exit(main())
