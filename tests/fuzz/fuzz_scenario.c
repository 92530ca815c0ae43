/*
 * libFuzzer harness for scenario XML: whatever the bytes, lk_scenario_parse
 * must return without crashing, hanging, leaking or reading out of bounds
 * (the sanitizers and libFuzzer watch for those), and every rejection must
 * be a message that names the file, "fuzz.xml:LINE: ...", checked here.
 * An accepted scenario is walked once so that a wrong count or index in
 * the model shows up as an ASan report or a trap.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lockstep/lockstep.h"
#include "scenario/scenario.h"

#define FUZZ_PATH "fuzz.xml"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Trap unless err->msg is a non-empty string ending inside the buffer
 * that starts with path and a colon. */
static void
check_message(const struct lk_err *err, const char *path)
{
	size_t len = strnlen(err->msg, sizeof(err->msg));
	size_t plen = strlen(path);

	if (len == 0 || len == sizeof(err->msg))
		__builtin_trap();
	if (strncmp(err->msg, path, plen) != 0 || err->msg[plen] != ':')
		__builtin_trap();
}

/* Where the walk adds up string lengths, so no strlen is optimised away. */
static volatile size_t sink;

/* Trap when an action (or one in its body) refers to an object that is
 * not there; read every string so ASan sees a bad one. */
static void
walk_actions(const struct lk_scenario *sc, const struct lk_sc_action *a,
             size_t n, int depth)
{
	if (depth > LK_MAX_DEPTH)
		__builtin_trap();
	for (size_t i = 0; i < n; i++) {
		if (a[i].obj < -1 || a[i].obj >= (int)sc->nobjects)
			__builtin_trap();
		if (a[i].text != NULL)
			sink += strlen(a[i].text);
		if (a[i].kind == LK_ACT_REPEAT)
			walk_actions(sc, a[i].body, a[i].nbody, depth + 1);
	}
}

/* Touch every part of an accepted scenario; traps on a broken model. */
static void
walk(const struct lk_scenario *sc)
{
	if (sc->path == NULL || sc->name == NULL ||
	    sc->nobjects > LK_MAX_DECLARED || sc->nprocs > LK_MAX_PROCS)
		__builtin_trap();
	for (size_t i = 0; i < sc->nobjects; i++)
		sink += strlen(sc->objects[i].name);
	for (size_t i = 0; i < sc->nprocs; i++) {
		if (strlen(sc->procs[i].name) >= LK_NAME_MAX)
			__builtin_trap();
		walk_actions(sc, sc->procs[i].actions, sc->procs[i].nactions,
		             0);
	}
	for (size_t i = 0; i < sc->nexpects; i++)
		if (sc->expects[i].obj < -1 ||
		    sc->expects[i].obj >= (int)sc->nobjects)
			__builtin_trap();
}

/* Parse one input as a scenario, free what was built, check the error. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_scenario *sc = NULL;
	struct lk_err err;

	/* No NUL anywhere: a message left unterminated is then seen. */
	memset(&err, 'Z', sizeof(err));
	if (lk_scenario_parse((const char *)data, size, FUZZ_PATH, &sc, &err) ==
	    0) {
		if (sc == NULL)
			__builtin_trap();
		walk(sc);
		lk_scenario_free(sc);
		return 0;
	}
	if (sc != NULL)
		__builtin_trap();
	check_message(&err, FUZZ_PATH);
	return 0;
}
