/*
 * runner.c - runs every Check suite and prints Check's summary line.
 */
#include <stdlib.h>

#include <check.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(core_suite());
	int failed;

	srunner_add_suite(sr, gguf_suite());
	srunner_add_suite(sr, safetensors_suite());
	srunner_add_suite(sr, report_suite());
	srunner_add_suite(sr, cli_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, lock_suite());
	srunner_add_suite(sr, gate_report_suite());
	srunner_add_suite(sr, parity_suite());
	srunner_add_suite(sr, license_suite());
	srunner_add_suite(sr, scan_suite());
	srunner_add_suite(sr, escape_suite());
	srunner_add_suite(sr, merge_suite());
	srunner_add_suite(sr, ci_suite());
	srunner_add_suite(sr, pickle_suite());
	srunner_add_suite(sr, sidecar_suite());
	srunner_add_suite(sr, archive_suite());
	srunner_add_suite(sr, serve_suite());
	srunner_add_suite(sr, repo_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
