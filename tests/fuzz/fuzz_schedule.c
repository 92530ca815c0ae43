/*
 * libFuzzer harness for schedule files: whatever the bytes,
 * lk_schedule_parse must return without crashing, hanging, leaking or
 * reading out of bounds (the sanitizers and libFuzzer watch for those),
 * and every rejection must be a message that names the file,
 * "fuzz.sched:LINE: ...", checked here. An accepted schedule is walked
 * once so that a wrong count or an unterminated name shows up.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lockstep/lockstep.h"
#include "schedule/schedule.h"

#define FUZZ_PATH "fuzz.sched"

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

/* Touch every step of an accepted schedule; traps on a broken one. */
static void
walk(const struct lk_schedule *s)
{
	uint32_t prev = 0;

	if (s->path == NULL || strcmp(s->path, FUZZ_PATH) != 0 ||
	    s->n > LK_SCHEDULE_MAX_STEPS ||
	    strnlen(s->sha256, sizeof(s->sha256)) == sizeof(s->sha256))
		__builtin_trap();
	for (size_t i = 0; i < s->n; i++) {
		const struct lk_decision *d = &s->steps[i];

		if (strnlen(d->proc, sizeof(d->proc)) == sizeof(d->proc) ||
		    d->proc[0] == '\0' ||
		    strnlen(d->obj, sizeof(d->obj)) == sizeof(d->obj))
			__builtin_trap();
		/* Steps come in file order, one a line at most. */
		if (s->lines[i] <= prev)
			__builtin_trap();
		prev = s->lines[i];
	}
}

/* Parse one input as a schedule, free what was built, check the error. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_schedule *s = NULL;
	struct lk_err err;

	/* No NUL anywhere: a message left unterminated is then seen. */
	memset(&err, 'Z', sizeof(err));
	if (lk_schedule_parse((const char *)data, size, FUZZ_PATH, &s, &err) ==
	    0) {
		if (s == NULL)
			__builtin_trap();
		walk(s);
		lk_schedule_free(s);
		return 0;
	}
	if (s != NULL)
		__builtin_trap();
	check_message(&err, FUZZ_PATH);
	return 0;
}
