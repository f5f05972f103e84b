#!/usr/bin/env bash
# Prints the JVM flags that run TornadoVM from the user's SDK (TORNADOVM_HOME, or TORNADO_SDK as older
# SDKs call it), one per line: JVMCI, the SDK's module and upgrade-module paths, its export lists and
# the modules of the drivers it has. The same flags TornadoVM's own `tornado --printJavaFlags` prints,
# read from the SDK's layout so that no Python is needed. Used by bin/bloomj (one flag per line, for an
# argument array) and, with --argfile, by tornado/pom.xml (a java @argfile: the SDK's export lists inlined,
# since an argfile cannot name another one).
set -euo pipefail
argfile=0; [[ "${1:-}" == --argfile ]] && argfile=1
sdk="${TORNADOVM_HOME:-${TORNADO_SDK:-}}"
if [[ -z "$sdk" || ! -d "$sdk/share/java/tornado" ]]; then
  echo "tornado/jvm-flags.sh: set TORNADOVM_HOME (or TORNADO_SDK) to a TornadoVM 5.2 JDK 25 SDK" >&2
  exit 2
fi
modules="tornado.runtime,tornado.annotation,tornado.drivers.common"
exports=("@$sdk/etc/exportLists/common-exports")
native=()
for driver in opencl ptx spirv; do
  if compgen -G "$sdk/share/java/tornado/tornado-drivers-$driver-[0-9]*.jar" > /dev/null; then
    modules="$modules,tornado.drivers.$driver"
    [[ -f "$sdk/etc/exportLists/$driver-exports" ]] && exports+=("@$sdk/etc/exportLists/$driver-exports")
    native+=("--enable-native-access=tornado.drivers.$driver")
  fi
done
args=()
if (( argfile )); then
  for e in "${exports[@]}"; do
    while IFS= read -r line; do args+=("$line"); done < <(grep -v '^[[:space:]]*#' "${e#@}" | grep -v '^[[:space:]]*$')
  done
  exports=()
fi
args+=(-XX:+UnlockExperimentalVMOptions -XX:+EnableJVMCI --enable-preview "-Djava.library.path=$sdk/lib"
  --module-path "$sdk/share/java/tornado" --upgrade-module-path "$sdk/share/java/graalJars"
  -Dtornado.load.api.implementation=uk.ac.manchester.tornado.runtime.tasks.TornadoTaskGraph
  -Dtornado.load.runtime.implementation=uk.ac.manchester.tornado.runtime.TornadoCoreRuntime
  -Dtornado.load.tornado.implementation=uk.ac.manchester.tornado.runtime.common.Tornado
  -Dtornado.load.annotation.implementation=uk.ac.manchester.tornado.annotation.ASMClassVisitor
  -Dtornado.load.annotation.parallel=uk.ac.manchester.tornado.api.annotations.Parallel
  "${exports[@]}" "${native[@]}" --add-modules "ALL-SYSTEM,$modules"
  -Dtornado.recover.bailout=False)
if (( argfile )); then
  # an argfile splits lines at spaces unless quoted; backslashes and quotes escaped
  for a in "${args[@]}"; do a="${a//\\/\\\\}"; printf '"%s"\n' "${a//\"/\\\"}"; done
else
  printf '%s\n' "${args[@]}"
fi
