/*
 * suites.h - every Check suite the runner knows.
 */
#ifndef MG_TEST_SUITES_H
#define MG_TEST_SUITES_H

#include <check.h>

Suite	*core_suite(void);
Suite	*gguf_suite(void);
Suite	*safetensors_suite(void);
Suite	*cli_suite(void);
Suite	*report_suite(void);
Suite	*scan_suite(void);
Suite	*policy_suite(void);
Suite	*lock_suite(void);
Suite	*gate_report_suite(void);
Suite	*parity_suite(void);
Suite	*license_suite(void);
Suite	*escape_suite(void);
Suite	*merge_suite(void);
Suite	*ci_suite(void);
Suite	*pickle_suite(void);
Suite	*sidecar_suite(void);
Suite	*archive_suite(void);
Suite	*serve_suite(void);
Suite	*repo_suite(void);

#endif
