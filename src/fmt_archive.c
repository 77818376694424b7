/*
 * fmt_archive.c - archives and compressed streams in the format table.
 *
 * Recognised by content; container.c reads them.  Probes bid below the
 * model formats built on the same containers (a PyTorch zip outbids a
 * plain zip), and a zip is recognised only from its first local header:
 * bytes before it make it a zip by name alone, which ARC-EXTRA reports.
 */
#include <string.h>

#include "fmt.h"

static int
zip_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	if (n >= 4 && (memcmp(h, "PK\3\4", 4) == 0 ||
	    memcmp(h, "PK\5\6", 4) == 0))
		return 40;
	if (n >= 8 && memcmp(h, "PK00PK\3\4", 8) == 0)
		return 40;
	return 0;
}

/*
 * POSIX and GNU tar: the magic and a header checksum that adds up.  An old
 * (v7) tar has no magic: a checksum that adds up over a header whose name
 * is printable and whose size field is octal, a weaker bid.
 */
static int
tar_probe(const unsigned char *h, size_t n, uint64_t size)
{
	unsigned long sum = 0, want = 0;
	size_t i;
	int digits = 0;

	(void)size;
	if (n < 512)
		return 0;
	/* The checksum field first: most files have no octal there. */
	for (i = 148; i < 156 && h[i] == ' '; i++)
		;
	for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++)
		want = want * 8 + (unsigned long)(h[i] - '0');
	if (digits == 0)
		return 0;
	for (i = 0; i < 512; i++)
		sum += i >= 148 && i < 156 ? ' ' : h[i];
	if (sum != want)
		return 0;
	if (memcmp(h + 257, "ustar", 5) == 0)
		return 60;
	if (h[0] == '\0')
		return 0;
	for (i = 0; i < 100 && h[i] != '\0'; i++)
		if (h[i] < 0x20 || h[i] == 0x7f)
			return 0;
	for (i = 124; i < 136 && h[i] == ' '; i++)
		;
	for (; i < 136 && h[i] >= '0' && h[i] <= '7'; i++)
		;
	return i < 136 && h[i] != '\0' && h[i] != ' ' ? 0 : 25;
}

static int
sevenz_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	return n >= 6 && memcmp(h, "7z\xbc\xaf\x27\x1c", 6) == 0 ? 90 : 0;
}

static int
gzip_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	return n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8 ? 60 : 0;
}

static int
bzip2_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	return n >= 10 && memcmp(h, "BZh", 3) == 0 && h[3] >= '1' &&
	    h[3] <= '9' && (memcmp(h + 4, "1AY&SY", 6) == 0 ||
	    memcmp(h + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0) ? 80 : 0;
}

static int
xz_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	return n >= 6 && memcmp(h, "\xfd" "7zXZ\0", 6) == 0 ? 90 : 0;
}

/*
 * The bare .lzma format has no magic: properties 0x5d (the usual lc/lp/pb)
 * and a power-of-two dictionary, as libarchive's own bidder asks.
 */
static int
lzma_probe(const unsigned char *h, size_t n, uint64_t size)
{
	uint32_t d;

	(void)size;
	if (n < 13 || h[0] != 0x5d)
		return 0;
	d = (uint32_t)h[1] | (uint32_t)h[2] << 8 | (uint32_t)h[3] << 16 |
	    (uint32_t)h[4] << 24;
	if (d < 4096 || (d & (d - 1)) != 0)
		return 0;
	return 30;
}

static int
zstd_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	return n >= 4 && memcmp(h, "\x28\xb5\x2f\xfd", 4) == 0 ? 90 : 0;
}

static int
lz4_probe(const unsigned char *h, size_t n, uint64_t size)
{
	(void)size;
	return n >= 4 && (memcmp(h, "\x04\x22\x4d\x18", 4) == 0 ||
	    memcmp(h, "\x02\x21\x4c\x18", 4) == 0) ? 90 : 0;
}

static const char *const zip_exts[] = { "zip", NULL };
static const char *const tar_exts[] = { "tar", NULL };
static const char *const sevenz_exts[] = { "7z", NULL };
static const char *const gzip_exts[] = { "gz", "tgz", NULL };
static const char *const bzip2_exts[] = { "bz2", "tbz2", "tbz", NULL };
static const char *const xz_exts[] = { "xz", "txz", NULL };
static const char *const lzma_exts[] = { "lzma", NULL };
static const char *const zstd_exts[] = { "zst", "tzst", NULL };
static const char *const lz4_exts[] = { "lz4", NULL };

#define ARC	(MG_FMT_CONTAINER | MG_FMT_ARCHIVE)
#define STREAM	(MG_FMT_CONTAINER | MG_FMT_ARCHIVE | MG_FMT_STREAM)

const struct mg_format mg_fmt_zip = {
	.name = "zip",
	.exts = zip_exts,
	.probe = zip_probe,
	.flags = ARC,
};
const struct mg_format mg_fmt_tar = {
	.name = "tar",
	.exts = tar_exts,
	.probe = tar_probe,
	.flags = ARC,
};
const struct mg_format mg_fmt_7z = {
	.name = "7z",
	.exts = sevenz_exts,
	.probe = sevenz_probe,
	.flags = ARC,
};
const struct mg_format mg_fmt_gzip = {
	.name = "gzip",
	.exts = gzip_exts,
	.probe = gzip_probe,
	.flags = STREAM,
};
const struct mg_format mg_fmt_bzip2 = {
	.name = "bzip2",
	.exts = bzip2_exts,
	.probe = bzip2_probe,
	.flags = STREAM,
};
const struct mg_format mg_fmt_xz = {
	.name = "xz",
	.exts = xz_exts,
	.probe = xz_probe,
	.flags = STREAM,
};
const struct mg_format mg_fmt_lzma = {
	.name = "lzma",
	.exts = lzma_exts,
	.probe = lzma_probe,
	.flags = STREAM,
};
const struct mg_format mg_fmt_zstd = {
	.name = "zstd",
	.exts = zstd_exts,
	.probe = zstd_probe,
	.flags = STREAM,
};
const struct mg_format mg_fmt_lz4 = {
	.name = "lz4",
	.exts = lz4_exts,
	.probe = lz4_probe,
	.flags = STREAM,
};
