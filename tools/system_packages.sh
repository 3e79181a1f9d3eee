# Sourced by tools/test.sh and tools/example.sh: `ensure_packages PKG...` installs the Debian/Ubuntu
# packages that are missing (apt-get update first; sudo only when not root; three tries).
ensure_packages() {
  command -v apt-get >/dev/null && command -v dpkg >/dev/null || return 0
  local sudo="" missing="" p attempt
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
  [ -n "$missing" ] || return 0
  for attempt in 1 2 3; do
    if DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
      return 0
    fi
    sleep 10
  done
  echo "could not install:$missing" >&2
  return 1
}
