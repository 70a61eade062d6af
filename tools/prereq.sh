# Prerequisite checks shared by tools/env.sh (sourced, not run): functions
# only, no side effects when sourced, so tests/setup.rs can call them.

say() { printf '%s\n' "$*" >&2; }

need_apt() {
  # $1: package, $2: why
  # CASELOG_NO_INSTALL=1: only say what to install (tests/setup.rs).
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ -z "${CASELOG_NO_INSTALL:-}" ]; then
    say "caselog: installing $1 ($2) with apt-get"
    if [ ! -f /var/lib/caselog-apt-updated ]; then
      apt-get update -qq >&2 && touch /var/lib/caselog-apt-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2
  else
    say "caselog: missing $1 ($2). Install it with: sudo apt-get install -y $1"
    exit 2
  fi
}

# The check looks for the very file clang-sys loads (libclang.so or
# libclang-N.so, never libclang-cpp.so, which Debian installs on its own).
have_libclang() {
  local d f
  # CASELOG_LIBCLANG_DIRS replaces the search list (tests/setup.rs).
  for d in ${CASELOG_LIBCLANG_DIRS:-${LIBCLANG_PATH:-} /usr/lib/llvm-*/lib /usr/lib64/llvm*/lib \
           /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib}; do
    for f in "$d"/libclang.so "$d"/libclang.so.[0-9]* "$d"/libclang-[0-9]*.so "$d"/libclang-[0-9]*.so.[0-9]*; do
      [ -f "$f" ] && return 0
    done
  done
  return 1
}
check_libclang() {
  if ! have_libclang; then
    need_apt libclang-dev "libclang.so for RocksDB's bindgen"
  fi
}
