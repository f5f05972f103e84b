#!/usr/bin/env bash
# Builds the GPU check bundle (issue 15) into a folder git ignores (default: gpu-bundle/ at the
# project root): what a GPU machine without Java, Maven or network needs to run the CUDA tests and
# benchmarks with benchmarks/gpu-bundle/run.sh. Carry it to the device with the working tree.
#   java/                a jlinked Java 25 runtime with only the modules bloomj uses
#   bloomj.jar           the bloomj jar without what token-id runs do not need (DJL's tokenizer and
#                        its native libraries, XChart, the HTTP server stack of bloomj serve: Javalin,
#                        Jetty, servlet API, Kotlin, Prometheus): PTX modules, Jackson, picocli and JLine stay
#   test-classes/        the compiled tests (CUDA tests, parity tests and their helpers)
#   junit-console.jar    the JUnit Platform console launcher (standalone)
# Refuses to finish above 60 MiB (the device carries at most 64 MiB of extra folders).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/gpu-bundle}"
export JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
export MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
junit="${JUNIT_VERSION:-6.1.3}"
cd "$root"
if [[ ! -f target/bloomj.jar || ! -d target/test-classes/io/bloomj/compute/cuda ]]; then
  mvn -B -q -DskipTests package test-compile
fi
if [[ ! -f target/classes/kernels/cuda/matmul.BF16.sm90.ptx ]]; then
  echo "gpu-bundle: warning: no PTX in target/classes (this build had no nvcc): the bundle can only dry-run" >&2
fi
rm -rf "$out"
mkdir -p "$out"

# Runtime: the modules the slim jar needs (jdeps --print-module-deps, less java.desktop and java.sql: charts and
# optional Jackson types are not used here) and java.xml for the console launcher's XML reports.
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.net.http,java.xml,jdk.incubator.vector,jdk.unsupported,jdk.crypto.ec \
  --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$out/java"

# Slim jar: everything but the tokenizer (DJL and its natives), charts (XChart) and the server stack
# (bloomj serve is not part of the GPU check; its command class stays so picocli can list it). JLine
# stays: picocli reflects over the chat command, whose methods name its types.
# (The JDK's jar tool only: CI machines need no zip.)
slim="$(mktemp -d)"
(cd "$slim" && "$JAVA_HOME/bin/jar" xf "$root/target/bloomj.jar" && rm -rf ai native nlp cv org/knowm org/apache com/sun com/google \
  de org/slf4j io/javalin io/prometheus org/eclipse/jetty jakarta javax/servlet kotlin org/intellij org/jetbrains \
  META-INF/native-image META-INF/*.SF META-INF/*.DSA META-INF/*.RSA)
"$JAVA_HOME/bin/jar" --create --file "$out/bloomj.jar" --manifest "$slim/META-INF/MANIFEST.MF" -C "$slim" .
rm -rf "$slim"

cp -r target/test-classes "$out/test-classes"
rm -rf "$out/test-classes/io/bloomj/fuzz" "$out/test-classes/io/bloomj/api/StopStringsFuzzTest"*.class
repo="${MAVEN_REPO:-$HOME/.m2/repository}"
console="$repo/org/junit/platform/junit-platform-console-standalone/$junit/junit-platform-console-standalone-$junit.jar"
if [[ ! -f "$console" ]]; then
  mvn -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit" > /dev/null
fi
cp "$console" "$out/junit-console.jar"
git rev-parse --short=12 HEAD > "$out/commit.txt" 2>/dev/null || echo unknown > "$out/commit.txt"

bytes=$(du -sb "$out" | cut -f1)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo "gpu-bundle: $out, $(mib "$bytes") MiB (runtime $(mib "$(du -sb "$out/java" | cut -f1)"), bloomj.jar $(mib "$(stat -c %s "$out/bloomj.jar")"), \
tests $(mib "$(du -sb "$out/test-classes" | cut -f1)"), console $(mib "$(stat -c %s "$out/junit-console.jar")"))"
if (( bytes > 60 * 1048576 )); then
  echo "gpu-bundle: $bytes bytes is above the 60 MiB budget" >&2
  exit 1
fi
