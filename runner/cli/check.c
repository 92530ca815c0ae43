/* `lockstep check`: validate scenarios, run nothing. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scenario/scenario.h"

static const char usage_check[] =
        "usage: lockstep check SCENARIO.xml...\n"
        "\n"
        "Parse each scenario, validate it against the schema and check its\n"
        "names; print one line per file. Nothing is run.\n"
        "\n"
        "exit status: 0 all valid; 2 at least one is not.\n";

/* `lockstep check FILE...` */
int
lk_cmd_check(int argc, char **argv)
{
	int status = 0;

	if (argc < 2)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "check: no scenario given; see "
		                   "'lockstep check --help'");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_check, stdout);
		return 0;
	}
	if ((status = lk_cli_operands_only("check", argc, argv)) != 0)
		return status;
	for (int i = 1; i < argc; i++) {
		struct lk_scenario *sc;
		struct lk_err err;

		if (lk_scenario_load(argv[i], &sc, &err) != 0) {
			lk_cli_fail(err.status, "%s", err.msg);
			status = status ? status : err.status;
			continue;
		}
		printf("%s: ok (%zu process%s, %zu object%s, %zu "
		       "expectation%s)\n",
		       argv[i], sc->nprocs, sc->nprocs == 1 ? "" : "es",
		       sc->nobjects, sc->nobjects == 1 ? "" : "s", sc->nexpects,
		       sc->nexpects == 1 ? "" : "s");
		lk_scenario_free(sc);
	}
	return status;
}
