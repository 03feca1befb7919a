# Shared by scripts/start and scripts/test: run as root or through sudo,
# install the Debian packages listed in scripts/deps/*.txt.
odradek_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# odradek_install_deps FILE...: apt-get install the packages named in FILEs.
odradek_install_deps() {
    pkgs=$(sed -e 's/#.*//' "$@" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
    export DEBIAN_FRONTEND=noninteractive
    odradek_root apt-get update -q
    # shellcheck disable=SC2086
    odradek_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends $pkgs
}
