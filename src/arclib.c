/*
 * arclib.c - load the archive library once, on first need (arclib.h).
 *
 * The library is opened by its soname, found the way the dynamic linker
 * finds a dependency (LD_LIBRARY_PATH, the cache, the system
 * directories), so a libarchive security update reaches modelgate as it
 * would a linked one.  Every function is looked up before any is used:
 * a library that lacks one is refused as a whole, and an archive then
 * fails closed with the reason.
 */
#define MG_ARCLIB_IMPL
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "arclib.h"
#include "err.h"

struct mg_arclib mg_arclib;

static pthread_once_t	once = PTHREAD_ONCE_INIT;
static pthread_once_t	preload_once = PTHREAD_ONCE_INIT;
static int		loaded;
static char		failure[256];

#ifdef MG_ARCHIVE_LINKED
static void
load(void)
{
#define MG_ARCLIB_TAKE(f)	mg_arclib.f = f;
	MG_ARCLIB_FUNCS(MG_ARCLIB_TAKE)
#undef MG_ARCLIB_TAKE
	loaded = 1;
}
#else
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
    "function pointers are stored from dlsym's data pointers");

static void
load(void)
{
	struct mg_arclib t;
	const char *e, *missing;
	void *h, *p;

	/*
	 * Every symbol bound now: a library that needs one its dependencies
	 * lack is refused here, with the reason, rather than ending the
	 * process at its first call.
	 */
	(void)dlerror();
	if ((h = dlopen(MG_ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(failure, sizeof(failure), "the archive library (%s) "
		    "could not be loaded: %s", MG_ARCHIVE_SONAME,
		    e != NULL ? e : "unknown error");
		return;
	}
	/*
	 * dlsym hands out data pointers; each is copied into its function
	 * pointer by its bytes, the conversion POSIX requires to be exact.
	 */
#define MG_ARCLIB_SYM(f)						\
	if ((p = dlsym(h, #f)) == NULL) {				\
		missing = #f;						\
		goto fail;						\
	}								\
	memcpy(&t.f, &p, sizeof(p));
	MG_ARCLIB_FUNCS(MG_ARCLIB_SYM)
#undef MG_ARCLIB_SYM
	/* The library stays loaded until the process ends. */
	mg_arclib = t;
	loaded = 1;
	return;
fail:
	snprintf(failure, sizeof(failure), "the archive library (%s) has no "
	    "%s: not a libarchive this build can use", MG_ARCHIVE_SONAME,
	    missing);
	dlclose(h);
}
#endif

int
mg_arclib_load(char *why, size_t whylen)
{
	(void)pthread_once(&once, load);
	if (loaded)
		return MG_OK;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", failure);
	return MG_ERR_UNSUPPORTED;
}

#ifdef MG_ARCHIVE_LINKED
/* Linked in: filling the table costs less than starting a thread. */
static void
preload_start(void)
{
	(void)pthread_once(&once, load);
}
#else
static void *
preload_main(void *arg)
{
	(void)arg;
	(void)pthread_once(&once, load);
	return NULL;
}

static void
preload_start(void)
{
	pthread_attr_t at;
	pthread_t th;

	if (pthread_attr_init(&at) != 0)
		return;
	(void)pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	/* Whoever needs the library first loads it, if this fails. */
	(void)pthread_create(&th, &at, preload_main, NULL);
	(void)pthread_attr_destroy(&at);
}
#endif

void
mg_arclib_preload(void)
{
	(void)pthread_once(&preload_once, preload_start);
}
