#!/usr/bin/env bash
# Installs (Debian/Ubuntu, as root) or checks the native libraries Hesse's fast paths use:
#   libblas.so.3 / liblapack.so.3  -> OpenBLAS (netlib-java's JNI BLAS and LAPACK open these names)
#   libarpack.so.2                 -> ARPACK (netlib-java's JNI ARPACK)
# Everything works without them (pure-Java fallbacks), only slower.
#
#   native/install-native-libs.sh           apt-get install the packages (needs root)
#   native/install-native-libs.sh --check   report which libraries resolve via ldconfig; exit 1 if any is missing
set -euo pipefail

PACKAGES=(libopenblas0-pthread liblapack3 libarpack2)
LIBS=(libblas.so.3 liblapack.so.3 libarpack.so.2)

check() {
  local missing=0 lib path
  for lib in "${LIBS[@]}"; do
    # ldconfig -p prints "	libblas.so.3 (libc6,x86-64) => /lib/x86_64-linux-gnu/libblas.so.3"
    path=$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l && !found { print $NF; found = 1 }')  # reads to the end: an early exit would SIGPIPE ldconfig (status 141 under pipefail)
    if [[ -n "$path" ]]; then
      echo "ok       $lib -> $(readlink -f "$path")"
    else
      echo "missing  $lib"
      missing=1
    fi
  done
  if [[ $missing -ne 0 ]]; then
    echo "some libraries are missing: run $0 as root (Debian/Ubuntu), or see native/README.md" >&2
  fi
  return $missing
}

case "${1:-}" in
  --check)
    check
    ;;
  "")
    if [[ $(id -u) -ne 0 ]]; then
      echo "$0: needs root for apt-get (or use --check)" >&2
      exit 1
    fi
    if ! command -v apt-get >/dev/null; then
      echo "$0: no apt-get here; see native/README.md for other systems" >&2
      exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
    check
    ;;
  -h|--help)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    ;;
  *)
    echo "$0: unknown argument '$1' (expected --check or nothing)" >&2
    exit 2
    ;;
esac
