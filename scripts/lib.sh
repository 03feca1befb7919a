# Shared by scripts/start and scripts/test: run as root or through sudo,
# install the Debian packages listed in scripts/deps/*.txt.
odradek_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# odradek_install_deps FILE...: apt-get install the packages named in FILEs,
# one per line ('#' comments).  "PKG ?CMD" installs PKG only when the
# command CMD is missing: e.g. Node.js from another source already provides
# node and npm, and Debian's npm conflicts with such a nodejs.
odradek_install_deps() {
    pkgs=$(sed -e 's/#.*//' "$@" | while read -r pkg cond; do
        [ -n "$pkg" ] || continue
        case "$cond" in
            \?*) command -v "${cond#?}" >/dev/null 2>&1 && continue ;;
        esac
        echo "$pkg"
    done | sort -u)
    export DEBIAN_FRONTEND=noninteractive
    odradek_root apt-get update -q
    # shellcheck disable=SC2086
    odradek_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends $pkgs
}
