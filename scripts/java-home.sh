# Sourced by scripts: picks a JDK 21 or newer (JAVA_HOME, then the default java, then /usr/lib/jvm).
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1; }
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ "$(java_major "$JAVA_HOME")" -ge 21 ]; then
  :
else
  JAVA_HOME=""
  default_java=$(readlink -f "$(command -v java 2>/dev/null || true)" 2>/dev/null || true)
  if [ -n "$default_java" ]; then
    candidate=$(dirname "$(dirname "$default_java")")
    [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null && JAVA_HOME=$candidate
  fi
  if [ -z "$JAVA_HOME" ]; then
    for candidate in /usr/lib/jvm/*; do
      [ -x "$candidate/bin/java" ] || continue
      if [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null; then JAVA_HOME=$candidate; break; fi
    done
  fi
  if [ -z "$JAVA_HOME" ]; then
    echo "aleph4j needs JDK 21 or newer: install one (e.g. apt-get install openjdk-21-jdk or a Temurin JDK) or set JAVA_HOME" >&2
    exit 1
  fi
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
