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

/*
 * 1 when pat matches every path below the directory dir, whatever lies
 * there: pat is a part that matches "dir/" (or nothing, when the part is
 * empty) followed by a final `**`, as in "models/" or "**" + "/secret/"
 * followed by `**`.  Globs that only match the depths someone thought
 * of, one star per level, never do: what a walk could not see may lie
 * at any depth.  dir "" is the root: only a lone `**` covers it.
 */
int	mg_glob_covers(const char *pat, const char *dir);

#endif /* MG_GLOB_H */
