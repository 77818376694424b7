/*
 * sort.c - natural merge sort (see sort.h).
 *
 * Runs are found once; each pass merges neighbouring runs from one buffer
 * into the other, so k runs take ceil(log2 k) passes.  With many runs the
 * list is not nearly sorted and the C library's sort (a merge sort, also
 * stable) does as well.  Without memory for the second buffer, likewise.
 */
#include <stdlib.h>
#include <string.h>

#include "sort.h"

#define RUNS_MAX	64	/* more: the list is not nearly sorted */

/* Merge a[0..n1) and a[n1..n1+n2) (each sorted) into out, stably. */
static void
merge(const char *a, size_t n1, size_t n2, size_t size, char *out,
    int (*cmp)(const void *, const void *))
{
	const char *l = a, *le = a + n1 * size, *r = le, *re = le + n2 * size;

	while (l < le && r < re) {
		if (cmp(r, l) < 0) {
			memcpy(out, r, size);
			r += size;
		} else {
			memcpy(out, l, size);
			l += size;
		}
		out += size;
	}
	if (l < le)
		memcpy(out, l, (size_t)(le - l));
	if (r < re)
		memcpy(out, r, (size_t)(re - r));
}

void
mg_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	size_t start[RUNS_MAX + 1], nruns = 0, i, k;
	char *a = base, *tmp, *src, *dst;

	if (n < 2 || size == 0)
		return;
	start[nruns++] = 0;
	for (i = 1; i < n; i++)
		if (cmp(a + (i - 1) * size, a + i * size) > 0) {
			if (nruns == RUNS_MAX) {
				qsort(base, n, size, cmp);
				return;
			}
			start[nruns++] = i;
		}
	if (nruns == 1)
		return;
	if (n > (size_t)-1 / size || (tmp = malloc(n * size)) == NULL) {
		qsort(base, n, size, cmp);
		return;
	}
	src = a;
	dst = tmp;
	while (nruns > 1) {
		/* Merge runs 2k and 2k + 1; an odd last run is copied over. */
		for (k = 0; k < nruns; k += 2) {
			size_t s = start[k];
			size_t m = k + 1 < nruns ? start[k + 1] : n;
			size_t e = k + 2 < nruns ? start[k + 2] : n;

			if (m == e)
				memcpy(dst + s * size, src + s * size,
				    (e - s) * size);
			else
				merge(src + s * size, m - s, e - m, size,
				    dst + s * size, cmp);
			start[k / 2] = s;
		}
		nruns = (nruns + 1) / 2;
		src = src == a ? tmp : a;
		dst = dst == a ? tmp : a;
	}
	if (src != a)
		memcpy(a, src, n * size);
	free(tmp);
}
