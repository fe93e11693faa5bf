#!/usr/bin/env bash
# Prints the home of a JDK whose version is 21 or newer: $JAVA_HOME, then the `java` on PATH, then the JDKs
# under /usr/lib/jvm (newest first). Says clearly, on stderr, when there is none.
set -u
major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}' \
    | cut -d. -f1
}
candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
if command -v java >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi
for dir in $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV); do
  candidates+=("${dir%/}")
done
for home in "${candidates[@]}"; do
  if [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ]; then
    v=$(major "$home")
    if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then
      echo "$home"
      exit 0
    fi
  fi
done
echo "No JDK 21 or newer found (looked at JAVA_HOME, the java on PATH and /usr/lib/jvm/*)." >&2
echo "Install one (for example Temurin 21 or 25) and set JAVA_HOME to it." >&2
exit 1
