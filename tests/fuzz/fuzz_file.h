/*
 * fuzz_file.h - for targets whose API reads a file: the input is written
 * to one per-process file under /tmp (the harness removes it after use).
 */
#ifndef MG_FUZZ_FILE_H
#define MG_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* The file's path for this target (tag) and process; built once. */
static const char *
fuzz_tmp_path(const char *tag)
{
	static char path[64];

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/mg_fuzz_%s.%ld", tag,
		    (long)getpid());
	return path;
}

/* Write the whole input to path; 0 or -1. */
static int
fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f;
	int ok;

	if ((f = fopen(path, "wb")) == NULL)
		return -1;
	ok = size == 0 || fwrite(data, 1, size, f) == size;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

#endif
