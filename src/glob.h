/*
 * glob.h - path globs for policies: `*` and `?` within one component,
 * which '/' and '!' (an archive and its members) both end, `**` across
 * components and members, `[...]` classes (with `!` or `^` negation and
 * ranges), `\` escapes.  Matching is iterative and bounded: no
 * backtracking blow-up on crafted patterns.
 */
#ifndef MG_GLOB_H
#define MG_GLOB_H

#include <stddef.h>

/* MG_OK when pat is well formed, else MG_ERR_POLICY and a reason. */
int	mg_glob_check(const char *pat, char *err, size_t errlen);

/* 1 when path matches pat (pat must have passed mg_glob_check). */
int	mg_glob_match(const char *pat, const char *path);

#endif /* MG_GLOB_H */
