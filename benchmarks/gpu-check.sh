#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU (driver R580+, JDK 25, Maven): builds bloomj with its
# CUDA kernels, runs the GPU test suite (CUDA tests must run, not skip), then the GPU benchmarks,
# and writes the results to benchmarks/results/ named after the card.
#   benchmarks/gpu-check.sh            # tests + benchmarks
#   SKIP_TESTS=1 benchmarks/gpu-check.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export JAVA_HOME="${JAVA_HOME_25:-${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}}"
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
card="$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | tr ' ' '-' | tr -cd 'A-Za-z0-9._-')"
card="${card:-gpu}"
out="benchmarks/results/cuda-$card"
mkdir -p "$out"

if [[ -z "${SKIP_TESTS:-}" ]]; then
  BLOOMJ_REQUIRE_CUDA=1 mvn -B test -Dtest='CudaKernelsTest,CudaSignaturesTest,CudaModelParityTest,OpParityTest,SampleOpTest,MemoryProbeTest,KernelFilesTest,BackendsTest' 2>&1 | tee "$out/tests.log"
fi
mvn -B -q -DskipTests install
mvn -B -q -f benchmarks/pom.xml -DskipTests package
java="$JAVA_HOME/bin/java"
export LD_PRELOAD="$JAVA_HOME/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"   # JVM signal chaining (OpenCL drivers with LLVM)
flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"

bin/bloomj devices | tee "$out/devices.txt"
# llama-bench style: bloomz-3b shape, bf16, decode and prefill, with the device-copy roofline
for b in cuda opencl; do
  bin/bloomj bench --random 3b --backend "$b" -p 512 -n 128 -d 0,2048 -r 5 --probe-mib 4096 -o json > "$out/bench-3b-$b.json" || true
done
bin/bloomj bench --random 3b --backend cuda -p 512 -n 128 -r 5 --probe-mib 4096 --profile > "$out/bench-3b-cuda.md" || true
# JMH kernels at the real shapes
$java $flags -jar benchmarks/target/benchmarks.jar "KernelBenchmark|OpBenchmark|AttentionBenchmark|PrefillGemmBenchmark|BandwidthBenchmark" \
  -p backend=cuda,opencl -rf json -rff "$out/jmh-kernels.json" | tee "$out/jmh.log"
bin/bloomj report "$out"/*.json -o "$out/report"
echo "results in $out"
