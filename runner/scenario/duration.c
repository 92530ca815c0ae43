/*
 * Durations in scenario files: a decimal number and a unit, such as 250ms,
 * 1.5s or 10us, turned into nanoseconds with integer arithmetic only, so
 * "0.1s" is exactly 100000000 and never 99999999.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "scenario/scenario.h"

#define NS_PER_DAY (86400ULL * 1000000000ULL)

/* Why a duration is rejected; DUR_OK when it is not. */
enum dur_status {
	DUR_OK,
	DUR_SYNTAX,   /* not digits[.digits] followed by ns, us, ms or s */
	DUR_FRACTION, /* not a whole number of nanoseconds */
	DUR_RANGE,    /* longer than one day */
};

struct unit {
	const char *name;
	uint64_t ns;
	int digits; /* log10(ns): fraction digits the unit can absorb */
};

static const struct unit units[] = {
        {"ns", 1, 0},
        {"us", 1000, 3},
        {"ms", 1000000, 6},
        {"s", 1000000000, 9},
};

/* Look up the unit spelled exactly s; NULL when there is none. */
static const struct unit *
find_unit(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].name) == 0)
			return &units[i];
	}
	return NULL;
}

/* Parse s into *ns; returns DUR_OK or the reason it was rejected. */
static enum dur_status
parse(const char *s, uint64_t *ns)
{
	const struct unit *u;
	const char *p = s, *frac = NULL;
	uint64_t whole = 0, part = 0, total;
	size_t nfrac = 0, i;

	if (*p < '0' || *p > '9')
		return DUR_SYNTAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		/* Saturate: anything this large is out of range anyway. */
		if (whole <= NS_PER_DAY)
			whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		frac = ++p;
		for (; *p >= '0' && *p <= '9'; p++)
			;
		nfrac = (size_t)(p - frac);
		if (nfrac == 0)
			return DUR_SYNTAX;
	}
	if ((u = find_unit(p)) == NULL)
		return DUR_SYNTAX;

	/* Trailing zeros of the fraction change nothing: 1.50s is 1.5s. */
	while (nfrac > 0 && frac[nfrac - 1] == '0')
		nfrac--;
	if (nfrac > (size_t)u->digits)
		return DUR_FRACTION;
	/* The fraction padded to the unit's digits is in nanoseconds. */
	for (i = 0; i < (size_t)u->digits; i++)
		part = part * 10 + (i < nfrac ? (uint64_t)(frac[i] - '0') : 0);

	if (whole > NS_PER_DAY / u->ns)
		return DUR_RANGE;
	total = whole * u->ns + part;
	if (total > NS_PER_DAY)
		return DUR_RANGE;
	*ns = total;
	return DUR_OK;
}

/* Parse a duration such as "250ms" into ns; returns 0, or -1 if invalid. */
int
lk_parse_duration(const char *s, uint64_t *ns)
{
	if (s == NULL || ns == NULL)
		return -1;
	return parse(s, ns) == DUR_OK ? 0 : -1;
}

/* What is wrong with duration s, as "expected ..." text; NULL if valid. */
const char *
lk__duration_problem(const char *s)
{
	uint64_t ns;

	switch (parse(s, &ns)) {
	case DUR_OK:
		return NULL;
	case DUR_FRACTION:
		return "expected a whole number of nanoseconds";
	case DUR_RANGE:
		return "expected a duration of at most one day (86400s)";
	case DUR_SYNTAX:
		break;
	}
	return "expected a duration such as 250ms or 1.5s";
}
