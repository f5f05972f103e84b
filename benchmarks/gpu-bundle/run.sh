#!/usr/bin/env bash
# Runs the GPU check from the bundle build.sh made, with no Java, Maven or network on the machine:
#   benchmarks/gpu-bundle/run.sh RESULTS_DIR [--dry-run]        (from the project root)
# Steps in order of value, each with its own time budget, so that a run cut short still returns what
# came before: (1) nvidia-smi, (2) the CUDA tests with CUDA required (fail, never skip), (2b) bloomj's
# CUDA logits against transformers' BloomForCausalLM on random tiny and 560m checkpoints, (3) a random
# 3b checkpoint written here, `bloomj bench --backend cuda` in bf16, q8_0 and batched (--parallel 1,8,32,64) and transformers' own
# batch-1 speed on it, (4) a summary.
# --dry-run (a CPU machine, and CI): the same bundle and paths; the CUDA tests must fail with the clear
# "CUDA is unavailable" error and nothing else, and the bench runs the tiny shape on the CPU backend.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="${1:?usage: benchmarks/gpu-bundle/run.sh RESULTS_DIR [--dry-run]}"
dry=0; [[ "${2:-}" == --dry-run ]] && dry=1
bundle="${GPU_BUNDLE:-$root/gpu-bundle}"
[[ -d "$bundle" ]] && bundle="$(cd "$bundle" && pwd)"   # absolute: LD_PRELOAD and the class path outlive a cd
java="$bundle/java/bin/java"
[[ -x "$java" ]] || { echo "run.sh: no bundle at $bundle (run benchmarks/gpu-bundle/build.sh first)" >&2; exit 2; }
mkdir -p "$out"
log="$out/gpu-check.log"
flags=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC)
[[ -f "$bundle/java/lib/libjsig.so" ]] && export LD_PRELOAD="$bundle/java/lib/libjsig.so"
say() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$log"; }
bloomj=("$java" "${flags[@]}" -jar "$bundle/bloomj.jar")   # an array, not a function: timeout runs it
work="${TMPDIR:-/tmp}/bloomj-gpu-check"
mkdir -p "$work"
say "bundle $(cat "$bundle/commit.txt"), $("$java" -version 2>&1 | head -1), dry run: $dry"

# 1. the card
if (( dry )); then say "dry run: no nvidia-smi"; else timeout 20 nvidia-smi > "$out/nvidia-smi.txt" 2>&1; say "nvidia-smi rc=$?"; fi

# 2. tests (CudaKernelsTest looks for the PTX under target/classes, as in a Maven build)
mkdir -p target/classes
python3 - "$bundle/bloomj.jar" <<'PY' || say "could not unpack PTX (python3 missing?)"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith("kernels/cuda/") and not n.endswith("/"):
            z.extract(n, "target/classes")
PY
tests=(io.bloomj.compute.cuda.CudaKernelsTest io.bloomj.compute.cuda.CudaSignaturesTest io.bloomj.compute.cuda.CudaModelParityTest
       io.bloomj.compute.OpParityTest io.bloomj.compute.SampleOpTest io.bloomj.compute.MemoryProbeTest io.bloomj.compute.BackendsTest
       io.bloomj.quant.Q8ModelTest io.bloomj.api.BatchGenerationTest)
selectors=(); for t in "${tests[@]}"; do selectors+=(--select-class "$t"); done
say "tests: ${tests[*]}"
BLOOMJ_REQUIRE_CUDA=1 timeout "${TEST_BUDGET_S:-300}" "$java" "${flags[@]}" -jar "$bundle/junit-console.jar" execute \
  --class-path "$bundle/bloomj.jar:$bundle/test-classes" "${selectors[@]}" --details=tree --disable-banner \
  --reports-dir "$out/junit" > "$out/tests.log" 2>&1
rc=$?
say "tests rc=$rc ($(grep -E 'tests (successful|failed)' "$out/tests.log" | tr -s ' ' | tr '\n' ' '))"
if (( dry )); then
  # Without a GPU every CUDA test must fail with the clear reason, and everything else pass.
  if grep -q "BLOOMJ_REQUIRE_CUDA=1 but CUDA is unavailable: no CUDA driver" "$out/tests.log" \
     && ! grep -E "\[X\]" "$out/tests.log" | grep -v -E "Cuda|cuda" | grep -q .; then
    say "dry run: tests behaved as expected (CUDA required and absent: clear failures; the rest passed)"
  else
    say "dry run: unexpected test outcome, see tests.log"; exit 1
  fi
fi

# 2b. transformers beside bloomj on the same weights: logits of the tiny and 560m shapes (an independent
# check of the CUDA backend against the definition of the model); skipped where torch is absent.
dev=cuda; cmp_backend=cuda; (( dry )) && { dev=cpu; cmp_backend=cpu; }
tokens="1,17,42,5,88,23,64,9,31,77,50"
shapes=(tiny 560m); (( dry )) && shapes=(tiny)   # the dry run keeps CI light
for s in "${shapes[@]}"; do
  ck="$work/$s"
  [[ -f "$ck/model.safetensors" ]] || { rm -rf "$ck"; timeout 300 "${bloomj[@]}" random-model --shape "$s" --out "$ck" --seed 1 >> "$log" 2>&1; }
  timeout 120 "${bloomj[@]}" logits --model "$ck" --tokens "$tokens" --backend "$cmp_backend" > "$work/logits-$s.json" 2>> "$log"
  timeout "${HF_BUDGET_S:-180}" python3 benchmarks/gpu-bundle/transformers_check.py compare "$ck" "$work/logits-$s.json" "$tokens" \
    --device "$dev" >> "$out/transformers.jsonl" 2>> "$log"
  say "transformers compare $s rc=$? $(tail -1 "$out/transformers.jsonl")"
done

# 3. benchmarks on the bloomz-3b shape (tiny on the CPU in a dry run): bf16, q8_0, batched
shape=3b; backend=cuda; args=(-p 512 -n 128 -d 0,2048 -r 5 --probe-mib 4096)
if (( dry )); then shape=tiny; backend=cpu; args=(-p 32 -n 8 -r 2 --probe-mib 16); fi
ckpt="$work/$shape"
if [[ ! -f "$ckpt/model.safetensors" ]]; then
  rm -rf "$ckpt"
  timeout 300 "${bloomj[@]}" random-model --shape "$shape" --out "$ckpt" --seed 1 >> "$log" 2>&1; say "random-model $shape rc=$?"
fi
timeout "${BENCH_BUDGET_S:-300}" "${bloomj[@]}" bench --model "$ckpt" --backend "$backend" "${args[@]}" -o json > "$out/bench-$shape-$backend.json" 2>> "$log"
say "bench $shape $backend rc=$?"
timeout "${BENCH_BUDGET_S:-300}" "${bloomj[@]}" bench --model "$ckpt" --backend "$backend" --weights q8_0 "${args[@]}" -o json > "$out/bench-$shape-$backend-q8_0.json" 2>> "$log"
say "bench $shape $backend q8_0 rc=$?"
# batched decoding (issue 12): aggregate and per-sequence tokens/s at batch 1, 8, 32 and 64
par=(--parallel 1,8,32,64 -n 32 -r 3); (( dry )) && par=(--parallel 1,2 -n 8 -r 1)
timeout "${BATCH_BUDGET_S:-180}" "${bloomj[@]}" bench --model "$ckpt" --backend "$backend" "${par[@]}" -o json > "$out/bench-$shape-$backend-parallel.json" 2>> "$log"
say "bench $shape $backend parallel rc=$?"

if (( ! dry )); then
  timeout "${HF_BUDGET_S:-240}" python3 benchmarks/gpu-bundle/transformers_check.py speed "$ckpt" --device cuda >> "$out/transformers.jsonl" 2>> "$log"
  say "transformers speed $shape rc=$? $(tail -1 "$out/transformers.jsonl")"
fi
if (( dry )) && ! grep -q '"avg_ts"' "$out/bench-$shape-$backend.json"; then
  say "dry run: the bench wrote no results, see gpu-check.log"; exit 1
fi

# 4. summary
{
  echo "# GPU check ($(date -u +%Y-%m-%dT%H:%M:%SZ), bundle $(cat "$bundle/commit.txt"))"
  echo; echo '```'; head -15 "$out/nvidia-smi.txt" 2>/dev/null || echo "(no nvidia-smi)"; echo '```'
  echo; echo "## Tests"; echo; grep -E "tests (successful|failed|aborted)|containers failed" "$out/tests.log" | sed 's/^/    /'
  echo; echo "## transformers beside bloomj"; echo; sed 's/^/    /' "$out/transformers.jsonl" 2>/dev/null
  echo; echo "## Bench"; echo
  for f in "$out"/bench-*.json; do
    python3 - "$f" <<'PY' 2>/dev/null || echo "    (no results in $f)"
import json, sys
for r in json.load(open(sys.argv[1])):
    print(f"- {r['model_type']} {r['backends']} {r['test']}: {r['avg_ts']:.2f} t/s"
          + (f", weights {r['weight_gb_per_second']:.0f} GB/s = {100 * r['bandwidth_fraction']:.0f}% of {r['bandwidth_gb_per_second']:.0f} GB/s ({r['bandwidth']})" if r.get('bandwidth_fraction') else ""))
PY
  done
} > "$out/summary.md"
say "done: $(ls "$out" | tr '\n' ' ')"
