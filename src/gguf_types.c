/*
 * gguf_types.c - GGUF value types, ggml tensor types, llama file types.
 *
 * Tensor types: ggml's ggml.h / ggml-common.h (id, QK block size, sizeof
 * the block struct), ids 0-42.  Ids whose support was removed (Q4_2, Q4_3,
 * the Q4_0_x_y and IQ4_NL_x_y repacks) keep their historic name for
 * reports but have block size 0, which marks them invalid in a file.
 * File types: llama.cpp include/llama.h, enum llama_ftype; the removed
 * values 4-6 and 33-35 are absent.
 */
#include <string.h>

#include "gguf_types.h"

static const char *const vtype_names[MG_GGUF_NVTYPES] = {
	"UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
	"BOOL", "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64"
};

static const unsigned char vtype_sizes[MG_GGUF_NVTYPES] = {
	1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8
};

const char *
mg_gguf_vtype_name(uint32_t t)
{
	return t < MG_GGUF_NVTYPES ? vtype_names[t] : NULL;
}

unsigned
mg_gguf_vtype_size(uint32_t t)
{
	return t < MG_GGUF_NVTYPES ? vtype_sizes[t] : 0;
}

static const struct mg_gguf_ttype ttypes[] = {
	/*  0 */ { "F32", 1, 4 },
	/*  1 */ { "F16", 1, 2 },
	/*  2 */ { "Q4_0", 32, 18 },
	/*  3 */ { "Q4_1", 32, 20 },
	/*  4 */ { "Q4_2", 0, 0 },
	/*  5 */ { "Q4_3", 0, 0 },
	/*  6 */ { "Q5_0", 32, 22 },
	/*  7 */ { "Q5_1", 32, 24 },
	/*  8 */ { "Q8_0", 32, 34 },
	/*  9 */ { "Q8_1", 32, 36 },
	/* 10 */ { "Q2_K", 256, 84 },
	/* 11 */ { "Q3_K", 256, 110 },
	/* 12 */ { "Q4_K", 256, 144 },
	/* 13 */ { "Q5_K", 256, 176 },
	/* 14 */ { "Q6_K", 256, 210 },
	/* 15 */ { "Q8_K", 256, 292 },
	/* 16 */ { "IQ2_XXS", 256, 66 },
	/* 17 */ { "IQ2_XS", 256, 74 },
	/* 18 */ { "IQ3_XXS", 256, 98 },
	/* 19 */ { "IQ1_S", 256, 50 },
	/* 20 */ { "IQ4_NL", 32, 18 },
	/* 21 */ { "IQ3_S", 256, 110 },
	/* 22 */ { "IQ2_S", 256, 82 },
	/* 23 */ { "IQ4_XS", 256, 136 },
	/* 24 */ { "I8", 1, 1 },
	/* 25 */ { "I16", 1, 2 },
	/* 26 */ { "I32", 1, 4 },
	/* 27 */ { "I64", 1, 8 },
	/* 28 */ { "F64", 1, 8 },
	/* 29 */ { "IQ1_M", 256, 56 },
	/* 30 */ { "BF16", 1, 2 },
	/* 31 */ { "Q4_0_4_4", 0, 0 },
	/* 32 */ { "Q4_0_4_8", 0, 0 },
	/* 33 */ { "Q4_0_8_8", 0, 0 },
	/* 34 */ { "TQ1_0", 256, 54 },
	/* 35 */ { "TQ2_0", 256, 66 },
	/* 36 */ { "IQ4_NL_4_4", 0, 0 },
	/* 37 */ { "IQ4_NL_4_8", 0, 0 },
	/* 38 */ { "IQ4_NL_8_8", 0, 0 },
	/* 39 */ { "MXFP4", 32, 17 },
	/* 40 */ { "NVFP4", 64, 36 },
	/* 41 */ { "Q1_0", 128, 18 },
	/* 42 */ { "Q2_0", 64, 18 },
};

#define NTTYPES ((uint32_t)(sizeof(ttypes) / sizeof(ttypes[0])))

const struct mg_gguf_ttype *
mg_gguf_ttype(uint32_t id)
{
	return id < NTTYPES ? &ttypes[id] : NULL;
}

uint32_t
mg_gguf_ttype_count(void)
{
	return NTTYPES;
}

static const char *const ftype_labels[] = {
	[0] = "F32",
	[1] = "F16",
	[2] = "Q4_0",
	[3] = "Q4_1",
	[7] = "Q8_0",
	[8] = "Q5_0",
	[9] = "Q5_1",
	[10] = "Q2_K",
	[11] = "Q3_K_S",
	[12] = "Q3_K_M",
	[13] = "Q3_K_L",
	[14] = "Q4_K_S",
	[15] = "Q4_K_M",
	[16] = "Q5_K_S",
	[17] = "Q5_K_M",
	[18] = "Q6_K",
	[19] = "IQ2_XXS",
	[20] = "IQ2_XS",
	[21] = "Q2_K_S",
	[22] = "IQ3_XS",
	[23] = "IQ3_XXS",
	[24] = "IQ1_S",
	[25] = "IQ4_NL",
	[26] = "IQ3_S",
	[27] = "IQ3_M",
	[28] = "IQ2_S",
	[29] = "IQ2_M",
	[30] = "IQ4_XS",
	[31] = "IQ1_M",
	[32] = "BF16",
	[36] = "TQ1_0",
	[37] = "TQ2_0",
	[38] = "MXFP4_MOE",
	[39] = "NVFP4",
	[40] = "Q1_0",
	[41] = "Q2_0",
};

const char *
mg_gguf_ftype_label(uint64_t ft)
{
	if (ft >= sizeof(ftype_labels) / sizeof(ftype_labels[0]))
		return NULL;
	return ftype_labels[ft];
}

unsigned
mg_gguf_ttype_bpw_milli(uint32_t id, int *quantized)
{
	const struct mg_gguf_ttype *t = mg_gguf_ttype(id);

	if (quantized != NULL)
		*quantized = 0;
	if (t == NULL || t->blck == 0)
		return 0;
	if (quantized != NULL)
		*quantized = t->blck > 1;
	return (unsigned)((uint64_t)t->size * 8000u / t->blck);
}

/* llama.cpp src/llama-quant.cpp: the default type of each file type. */
static const signed char ftype_base[] = {
	[0] = 0, [1] = 1, [2] = 2, [3] = 3, [7] = 8, [8] = 6, [9] = 7,
	[10] = 10, [11] = 11, [12] = 11, [13] = 11, [14] = 12, [15] = 12,
	[16] = 13, [17] = 13, [18] = 14, [19] = 16, [20] = 17, [21] = 10,
	[22] = 21, [23] = 18, [24] = 19, [25] = 20, [26] = 21, [27] = 21,
	[28] = 17, [29] = 22, [30] = 23, [31] = 29, [32] = 30, [36] = 34,
	[37] = 35, [38] = 39, [39] = 40, [40] = 41, [41] = 42,
};

int
mg_gguf_ftype_base(uint64_t ft)
{
	if (ft >= sizeof(ftype_base) / sizeof(ftype_base[0]) ||
	    mg_gguf_ftype_label(ft) == NULL)
		return -1;
	return ftype_base[ft];
}

int
mg_gguf_label_base(const char *label)
{
	size_t i;

	if (label == NULL)
		return -1;
	for (i = 0; i < sizeof(ftype_labels) / sizeof(ftype_labels[0]); i++)
		if (ftype_labels[i] != NULL && strcmp(ftype_labels[i], label) == 0)
			return mg_gguf_ftype_base(i);
	return -1;
}

int
mg_gguf_ttype_by_name(const char *name)
{
	uint32_t i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NTTYPES; i++)
		if (ttypes[i].name != NULL && ttypes[i].blck != 0 &&
		    strcmp(ttypes[i].name, name) == 0)
			return (int)i;
	return -1;
}
