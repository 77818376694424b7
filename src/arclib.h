/*
 * arclib.h - the archive library, loaded when the first archive needs it.
 *
 * libarchive brings libxml2, ICU and the C++ runtime with it (for xar, a
 * format modelgate never reads): linked as a dependency they are mapped
 * and relocated before main on every run, a millisecond and a half before
 * the first file is looked at, though most trees hold no archive.  So
 * the binary does not link it: mg_arclib_load() opens the shared library
 * once, on whichever thread asks first, and the functions below are
 * called through the table it fills.  A binary linked with the library
 * (make ARCHIVE_STATIC=1) fills the table from its own copy.
 *
 * Included after <archive.h> and <archive_entry.h>, in the one file that
 * reads archives, the library's names stand for the table's entries.
 */
#ifndef MG_ARCLIB_H
#define MG_ARCLIB_H

#include <stddef.h>

/* The library's file name, as the development library names it. */
#ifndef MG_ARCHIVE_SONAME
#define MG_ARCHIVE_SONAME	"libarchive.so.13"
#endif

/*
 * Load the library and fill the table, once per process; later calls,
 * from any thread, wait for the first to finish.  MG_OK, or
 * MG_ERR_UNSUPPORTED with why it could not be loaded in why.
 */
int	mg_arclib_load(char *why, size_t whylen);

/* Start loading it on a thread of its own, so that it is ready sooner. */
void	mg_arclib_preload(void);

#if defined(ARCHIVE_H_INCLUDED) && defined(ARCHIVE_ENTRY_H_INCLUDED)
#define MG_ARCLIB_FUNCS(X)					\
	X(archive_entry_filetype)				\
	X(archive_entry_hardlink)				\
	X(archive_entry_is_encrypted)				\
	X(archive_entry_pathname)				\
	X(archive_entry_pathname_utf8)				\
	X(archive_entry_size)					\
	X(archive_entry_size_is_set)				\
	X(archive_entry_symlink)				\
	X(archive_error_string)					\
	X(archive_filter_bytes)					\
	X(archive_filter_count)					\
	X(archive_filter_name)					\
	X(archive_format)					\
	X(archive_format_name)					\
	X(archive_read_data)					\
	X(archive_read_data_block)				\
	X(archive_read_free)					\
	X(archive_read_has_encrypted_entries)			\
	X(archive_read_header_position)				\
	X(archive_read_new)					\
	X(archive_read_next_header)				\
	X(archive_read_open)					\
	X(archive_read_open2)					\
	X(archive_read_set_format_option)			\
	X(archive_read_set_seek_callback)			\
	X(archive_read_support_filter_bzip2)			\
	X(archive_read_support_filter_gzip)			\
	X(archive_read_support_filter_lz4)			\
	X(archive_read_support_filter_lzma)			\
	X(archive_read_support_filter_xz)			\
	X(archive_read_support_filter_zstd)			\
	X(archive_read_support_format_7zip)			\
	X(archive_read_support_format_empty)			\
	X(archive_read_support_format_raw)			\
	X(archive_read_support_format_tar)			\
	X(archive_read_support_format_zip_streamable)		\
	X(archive_set_error)

#define MG_ARCLIB_MEMBER(f)	__typeof__(f) *f;
struct mg_arclib {
	MG_ARCLIB_FUNCS(MG_ARCLIB_MEMBER)
};
#undef MG_ARCLIB_MEMBER

extern struct mg_arclib mg_arclib;

#ifndef MG_ARCLIB_IMPL
#define archive_entry_filetype	(*mg_arclib.archive_entry_filetype)
#define archive_entry_hardlink	(*mg_arclib.archive_entry_hardlink)
#define archive_entry_is_encrypted (*mg_arclib.archive_entry_is_encrypted)
#define archive_entry_pathname	(*mg_arclib.archive_entry_pathname)
#define archive_entry_pathname_utf8 (*mg_arclib.archive_entry_pathname_utf8)
#define archive_entry_size	(*mg_arclib.archive_entry_size)
#define archive_entry_size_is_set (*mg_arclib.archive_entry_size_is_set)
#define archive_entry_symlink	(*mg_arclib.archive_entry_symlink)
#define archive_error_string	(*mg_arclib.archive_error_string)
#define archive_filter_bytes	(*mg_arclib.archive_filter_bytes)
#define archive_filter_count	(*mg_arclib.archive_filter_count)
#define archive_filter_name	(*mg_arclib.archive_filter_name)
#define archive_format		(*mg_arclib.archive_format)
#define archive_format_name	(*mg_arclib.archive_format_name)
#define archive_read_data	(*mg_arclib.archive_read_data)
#define archive_read_data_block	(*mg_arclib.archive_read_data_block)
#define archive_read_free	(*mg_arclib.archive_read_free)
#define archive_read_has_encrypted_entries \
	(*mg_arclib.archive_read_has_encrypted_entries)
#define archive_read_header_position (*mg_arclib.archive_read_header_position)
#define archive_read_new	(*mg_arclib.archive_read_new)
#define archive_read_next_header (*mg_arclib.archive_read_next_header)
#define archive_read_open	(*mg_arclib.archive_read_open)
#define archive_read_open2	(*mg_arclib.archive_read_open2)
#define archive_read_set_format_option \
	(*mg_arclib.archive_read_set_format_option)
#define archive_read_set_seek_callback \
	(*mg_arclib.archive_read_set_seek_callback)
#define archive_read_support_filter_bzip2 \
	(*mg_arclib.archive_read_support_filter_bzip2)
#define archive_read_support_filter_gzip \
	(*mg_arclib.archive_read_support_filter_gzip)
#define archive_read_support_filter_lz4 \
	(*mg_arclib.archive_read_support_filter_lz4)
#define archive_read_support_filter_lzma \
	(*mg_arclib.archive_read_support_filter_lzma)
#define archive_read_support_filter_xz \
	(*mg_arclib.archive_read_support_filter_xz)
#define archive_read_support_filter_zstd \
	(*mg_arclib.archive_read_support_filter_zstd)
#define archive_read_support_format_7zip \
	(*mg_arclib.archive_read_support_format_7zip)
#define archive_read_support_format_empty \
	(*mg_arclib.archive_read_support_format_empty)
#define archive_read_support_format_raw \
	(*mg_arclib.archive_read_support_format_raw)
#define archive_read_support_format_tar \
	(*mg_arclib.archive_read_support_format_tar)
#define archive_read_support_format_zip_streamable \
	(*mg_arclib.archive_read_support_format_zip_streamable)
#define archive_set_error	(*mg_arclib.archive_set_error)
#endif /* !MG_ARCLIB_IMPL */
#endif /* archive.h */

#endif
