#!/bin/sh
# Install modelgate's build and test dependencies on Debian/Ubuntu when
# they are missing.  Safe to run repeatedly: it does nothing when all is
# present.
set -eu

# libunistring: case-folding and NFC normalisation of archive member names
# (ARC-DUP), which glibc does not provide.  zlib: gzip streams are inflated
# with it because libarchive's gzip reader does not check CRC-32 and length,
# and joblib's default compression is a raw zlib stream libarchive cannot read.
PKGS="build-essential pkg-config libarchive-dev libssl-dev libcjson-dev libunistring-dev zlib1g-dev check"
# The static archives of the compression libraries libarchive calls: the
# binary links libarchive in with them (see the Makefile).
ARC_DEV="liblzma-dev libzstd-dev liblz4-dev libbz2-dev nettle-dev"
PKGS="$PKGS $ARC_DEV"
# Test-only validators: SARIF JSON schema (python3-jsonschema) and JUnit XSD
# (xmllint from libxml2-utils), used by tests/test_gate_report.c.
PKGS="$PKGS python3-jsonschema libxml2-utils"
# Test-only: node and npm install @huggingface/gguf to write GGUF fixtures.
# A node that ships its own npm (NodeSource's nodejs) conflicts with
# Debian's npm package, so a present pair is left alone.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PKGS="$PKGS nodejs npm"
fi
# tests/test_ci.c parses action.yml and the GitLab template (python3-yaml)
# and tests/test_merge.c runs --changed-since in a scratch repository (git).
PKGS="$PKGS python3-yaml git"
# Test-only: fixtures/writers/archive_fixtures.sh writes the archives of
# tests/test_archive.c with the real tools (bsdtar, zip, zstd, xz and
# lzma, bzip2, lz4, 7z); a missing one only skips its fixtures.
ARC_PKGS="libarchive-tools zip zstd xz-utils bzip2 lz4 p7zip-full"
ARC_TOOLS="bsdtar zip zstd xz lzma bzip2 gzip lz4 7z"
PKGS="$PKGS $ARC_PKGS"

# --build: only what building modelgate needs (the GitHub action).
BUILD_ONLY=0
if [ "${1:-}" = "--build" ]; then
	BUILD_ONLY=1
	PKGS="build-essential pkg-config libarchive-dev libssl-dev libcjson-dev libunistring-dev zlib1g-dev $ARC_DEV"
fi

have_build() {
	command -v cc >/dev/null 2>&1 || return 1
	command -v make >/dev/null 2>&1 || return 1
	command -v pkg-config >/dev/null 2>&1 || return 1
	pkg-config --exists libarchive libcrypto libcjson zlib 2>/dev/null &&
	    [ -f /usr/include/unicase.h ] || return 1
	for a in libarchive.a liblzma.a libzstd.a liblz4.a libbz2.a libnettle.a; do
		case $(cc -print-file-name="$a" 2>/dev/null) in
		/*) ;;
		*) return 1 ;;
		esac
	done
}
# Test-only writers of the pickle fixtures (fixtures/writers/): the real
# numpy.save, joblib.dump, scikit-learn and torch.save.  A missing one
# only skips its fixtures.
PKGS="$PKGS python3-numpy python3-joblib python3-sklearn python3-torch"
# Test-only: fixtures/writers/repo_fixtures.py proves its chat templates
# with Jinja2 (hostile ones reach os unsandboxed, benign ones render).
PKGS="$PKGS python3-jinja2"

have_all() {
	if [ "$BUILD_ONLY" = 1 ]; then
		have_build
		return
	fi
	have_build || return 1
	command -v git >/dev/null 2>&1 || return 1
	{ /usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 ||
	    python3 -c 'import yaml' >/dev/null 2>&1; } || return 1
	command -v cc >/dev/null 2>&1 || return 1
	command -v make >/dev/null 2>&1 || return 1
	command -v pkg-config >/dev/null 2>&1 || return 1
	pkg-config --exists libarchive libcrypto libcjson zlib check 2>/dev/null ||
	    return 1
	[ -f /usr/include/unicase.h ] || return 1
	command -v xmllint >/dev/null 2>&1 || return 1
	command -v node >/dev/null 2>&1 || return 1
	command -v npm >/dev/null 2>&1 || return 1
	for t in $ARC_TOOLS; do
		command -v "$t" >/dev/null 2>&1 || return 1
	done
	/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 ||
	    python3 -c 'import jsonschema' >/dev/null 2>&1
	{ /usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1 ||
	    python3 -c 'import jsonschema' >/dev/null 2>&1; } || return 1
	/usr/bin/python3 -c 'import jinja2' >/dev/null 2>&1 || return 1
	/usr/bin/python3 -c 'import importlib.util as u, sys; sys.exit(not all(
	    u.find_spec(m) for m in ("numpy", "joblib", "sklearn", "torch")))' \
	    >/dev/null 2>&1
}

# mimalloc: the binary's malloc (see the Makefile).  Optional: a build
# without it uses the C library's, so it is installed when it can be and
# its absence stops nothing.
try_mimalloc() {
	[ -f /usr/include/mimalloc.h ] && return 0
	command -v apt-get >/dev/null 2>&1 || return 0
	if [ "$(id -u)" -eq 0 ]; then
		S=""
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		S="sudo -n"
	else
		return 0
	fi
	DEBIAN_FRONTEND=noninteractive $S apt-get install -y -qq \
	    --no-install-recommends libmimalloc-dev >/dev/null 2>&1 ||
	    echo "install-deps: libmimalloc-dev not installed; building with the C library's malloc" >&2
	return 0
}

if have_all; then
	try_mimalloc
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps: apt-get not found; install a C compiler, make," >&2
	echo "install-deps: pkg-config and the development files of libarchive," >&2
	echo "install-deps: OpenSSL (libcrypto), cJSON and Check, plus xmllint and" >&2
	echo "install-deps: the jsonschema module of python3 for the tests; rerun." >&2
	exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		SUDO="sudo -n"
	else
		echo "install-deps: missing packages and not root; run:" >&2
		echo "  sudo apt-get install -y $PKGS" >&2
		exit 1
	fi
fi

echo "install-deps: installing $PKGS" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
have_all || { echo "install-deps: packages installed but still missing" >&2; exit 1; }
try_mimalloc
