/*
 * gguf_types.h - the GGUF/ggml type tables as data.
 *
 * Three tables: metadata value types (ids 0-12), ggml tensor types (id,
 * block size, bytes per block; removed ids keep their name with block size
 * 0) and llama.cpp's general.file_type labels (enum llama_ftype).  They are
 * versioned with ggml.h and llama.h: when ggml adds a type, add a row.
 */
#ifndef MG_GGUF_TYPES_H
#define MG_GGUF_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* Metadata value types. */
enum {
	MG_GGUF_UINT8 = 0,
	MG_GGUF_INT8,
	MG_GGUF_UINT16,
	MG_GGUF_INT16,
	MG_GGUF_UINT32,
	MG_GGUF_INT32,
	MG_GGUF_FLOAT32,
	MG_GGUF_BOOL,
	MG_GGUF_STRING,
	MG_GGUF_ARRAY,
	MG_GGUF_UINT64,
	MG_GGUF_INT64,
	MG_GGUF_FLOAT64,
	MG_GGUF_NVTYPES		/* first unknown id */
};

/* "UINT8" .. "FLOAT64", or NULL for an unknown id. */
const char *mg_gguf_vtype_name(uint32_t t);

/* Encoded size of a scalar value type; 0 for STRING, ARRAY, unknown. */
unsigned mg_gguf_vtype_size(uint32_t t);

struct mg_gguf_ttype {
	const char	*name;		/* "Q8_0"; NULL: id never assigned */
	uint32_t	 blck;		/* elements per block; 0: removed */
	uint32_t	 size;		/* bytes per block */
};

/* The ggml tensor type with this id, or NULL past the table. */
const struct mg_gguf_ttype *mg_gguf_ttype(uint32_t id);
uint32_t mg_gguf_ttype_count(void);

/* The label of a general.file_type value ("Q4_K_M"), or NULL. */
const char *mg_gguf_ftype_label(uint64_t ft);

/*
 * Bits per weight of a tensor type, times 1000 (Q8_0: 8500), or 0 for an
 * unknown or removed id.  1 in *quantized for block-quantized types (not
 * F32, F16, BF16, F64 or the integer types).
 */
unsigned mg_gguf_ttype_bpw_milli(uint32_t id, int *quantized);

/*
 * The tensor type that llama.cpp's quantizer uses for the bulk of a
 * model of this file type (Q4_K_M: Q4_K), by value or by label; -1 when
 * unknown.  Tensors it stores otherwise are only ever more precise.
 */
int	mg_gguf_ftype_base(uint64_t ft);
int	mg_gguf_label_base(const char *label);

/* The tensor type id of a name ("Q8_0"), or -1. */
int	mg_gguf_ttype_by_name(const char *name);

#endif /* MG_GGUF_TYPES_H */
