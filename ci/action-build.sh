#!/usr/bin/env bash
# Build step of the GitHub action (action.yml).
#
#   action-build.sh key    write key=<cache key> and bin-dir=<dir> to
#                          $GITHUB_OUTPUT: the key is a digest of every
#                          source file, the runner image, the versions of
#                          the archive libraries installed and the week,
#                          so a cached build is reused until one of them
#                          changes
#   action-build.sh build  install the dependencies (Ubuntu/Debian) and,
#                          unless the cache was hit, build modelgate into
#                          $MG_BIN_DIR
#
# Inputs arrive in the environment only (MG_ACTION_PATH, RUNNER_TEMP,
# MG_BIN_DIR, MG_CACHE_HIT).
set -euo pipefail

src=${MG_ACTION_PATH:?}
case ${1:-} in
key)
	# The binary links libarchive and the compression libraries in, so
	# their updates need a new build: the key also holds the runner's
	# image, the versions of those packages installed now, and the
	# week, so that an update from the package archive is built in
	# within a week even where the image stays (self-hosted runners).
	digest=$( { cd "$src" && find Makefile src cmd ci/install-deps.sh \
	    -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
	    dpkg-query -W -f='${Package} ${Version}\n' 'libarchive*' \
		'liblzma*' 'libzstd*' 'liblz4*' 'libbz2*' 'nettle-dev' \
		'libnettle*' 2>/dev/null || true
	    echo "image ${ImageVersion:-} week $(date -u +%G-%V)"; } |
	    sha256sum | cut -c1-40)
	bin_dir="${RUNNER_TEMP:-/tmp}/modelgate-bin"
	{
		echo "key=modelgate-${RUNNER_OS:-os}-${RUNNER_ARCH:-arch}-$digest"
		echo "bin-dir=$bin_dir"
	} >>"${GITHUB_OUTPUT:?}"
	;;
build)
	# The runtime libraries are needed even when the build is cached.
	sh "$src/ci/install-deps.sh" --build
	if [ "${MG_CACHE_HIT:-}" = "true" ] && [ -x "$MG_BIN_DIR/modelgate" ]; then
		echo "modelgate: cached build $("$MG_BIN_DIR/modelgate" version)"
		exit 0
	fi
	make -C "$src" -s BUILD="${RUNNER_TEMP:-/tmp}/modelgate-build" \
	    "${RUNNER_TEMP:-/tmp}/modelgate-build/modelgate"
	mkdir -p "$MG_BIN_DIR"
	cp "${RUNNER_TEMP:-/tmp}/modelgate-build/modelgate" "$MG_BIN_DIR/"
	"$MG_BIN_DIR/modelgate" version
	;;
*)
	echo "usage: action-build.sh key|build" >&2
	exit 2
	;;
esac
