/*
 * sort.h - a stable sort for lists that arrive nearly sorted.
 *
 * The walk visits names in order, so the artifacts of a run come out
 * sorted but for a few breaks (an archive's members in archive order, a
 * directory listed beside a file that sorts before it).  This sort finds
 * the ascending runs and merges them: a sorted list costs n - 1
 * comparisons.  Equal elements keep their order, as with the C library's
 * merge sort, so either gives the same result.
 */
#ifndef MG_SORT_H
#define MG_SORT_H

#include <stddef.h>

void	mg_sort(void *base, size_t n, size_t size,
	    int (*cmp)(const void *, const void *));

#endif /* MG_SORT_H */
