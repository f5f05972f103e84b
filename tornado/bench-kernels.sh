#!/usr/bin/env bash
# TornadoVM's generated kernels against bloomj's hand-written OpenCL kernels, op by op, on the same
# device: JMH's OpBenchmark (one decode step of each op at bloomz-3b shapes) with backend=tornado and
# backend=opencl in one run, then the per-op ratio. Needs TORNADOVM_HOME (or TORNADO_SDK), the
# benchmarks jar (mvn -f benchmarks/pom.xml package) and the backend jar (mvn -f tornado/pom.xml package).
#   tornado/bench-kernels.sh OUT_DIR [extra JMH options, e.g. -p op=matmul,lm_head]
# Writes OUT_DIR/ops.json (JMH), ops.txt, ratio.md and report/ (bloomj report: backends.png).
# The OpenCL device and the TornadoVM device must be the same card: BLOOMJ_DEVICE=N picks device N of
# both (their numbering follows `bloomj devices`; default 0).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: tornado/bench-kernels.sh OUT_DIR [JMH options]}"; shift
export JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mkdir -p "$out"
mapfile -t flags < <("$root/tornado/jvm-flags.sh")
[[ -f "$JAVA_HOME/lib/libjsig.so" ]] && export LD_PRELOAD="$JAVA_HOME/lib/libjsig.so"
cp="$root/benchmarks/target/benchmarks.jar:$root/tornado/target/bloomj-tornado.jar"
append="$(printf '%s ' "${flags[@]}") -Dbloomj.device=${BLOOMJ_DEVICE:-0}"
"$JAVA_HOME/bin/java" "${flags[@]}" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" \
  org.openjdk.jmh.Main OpBenchmark -p backend=tornado,opencl -jvmArgsAppend "$append" -rf json -rff "$out/ops.json" "$@" \
  | tee "$out/ops.txt"
python3 - "$out/ops.json" <<'PY' | tee "$out/ratio.md"
import json, sys
rows = {}
for r in json.load(open(sys.argv[1])):
    p = r["params"]
    rows.setdefault(p["op"], {})[p["backend"]] = r["primaryMetric"]["score"]
print("| op | TornadoVM steps/s | hand-written OpenCL steps/s | TornadoVM / hand-written |")
print("| --- | ---: | ---: | ---: |")
for op, v in rows.items():
    t, o = v.get("tornado"), v.get("opencl")
    ratio = f"{t / o:.2f}" if t and o else "n/a"
    print(f"| {op} | {t if t is None else f'{t:.1f}'} | {o if o is None else f'{o:.1f}'} | {ratio} |")
PY
# The report draws the same ratio per kernel (backends.png) next to each kernel's bandwidth.
"$root/bin/bloomj" report "$out/ops.json" -o "$out/report" > /dev/null
