/* `lockstep merge`: join the JSON summaries of explore shards into one,
 * as if one explore had made all their runs. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/input.h"

static const char usage_merge[] =
        "usage: lockstep merge SUMMARY.json...\n"
        "\n"
        "Join the summaries that `lockstep explore --json --shard K/N` wrote\n"
        "for each shard: runs add up, outcomes with the same text merge\n"
        "(counts add up, the simplest schedule stays), races between the\n"
        "same two actions merge (counts add up), expectations are judged\n"
        "again over all runs, complete only if every shard was.\n"
        "Prints one summary in the same format.\n"
        "\n"
        "exit status: as lockstep explore, from the merged result; 2 for an\n"
        "unreadable summary.\n";

/* Is v a count: a JSON integer from 0 up? */
static int
is_count(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

/* Check the counts of each entry of the list under key (absent is fine
 * when optional); 0, or -1 with field naming what is wrong. */
static int
check_list(json_t *sum, const char *key, int optional, const char *text_key,
           char *field, size_t size)
{
	json_t *list = json_object_get(sum, key), *o;
	size_t i;

	if (list == NULL && optional)
		return 0;
	if (!json_is_array(list)) {
		snprintf(field, size, "'%s' is not a list", key);
		return -1;
	}
	json_array_foreach(list, i, o)
	{
		if (!json_is_object(o)) {
			snprintf(field, size, "%s[%zu] is not an object", key,
			         i);
			return -1;
		}
		if (text_key != NULL &&
		    !json_is_string(json_object_get(o, text_key))) {
			snprintf(field, size, "%s[%zu].%s is not a string", key,
			         i, text_key);
			return -1;
		}
		if (!is_count(json_object_get(o, "count"))) {
			snprintf(field, size,
			         "%s[%zu].count is not a non-negative integer",
			         key, i);
			return -1;
		}
	}
	return 0;
}

/* Check the types and ranges of a summary's fields; 0, or -1 with
 * field naming the first that is wrong. */
static int
check_summary(json_t *s, char *field, size_t size)
{
	json_t *x, *ex = json_object_get(s, "expectations");
	json_int_t runs;
	size_t i;

	if (!is_count(json_object_get(s, "runs"))) {
		snprintf(field, size, "'runs' is not a non-negative integer");
		return -1;
	}
	runs = json_integer_value(json_object_get(s, "runs"));
	if (json_object_get(s, "complete") != NULL &&
	    !json_is_boolean(json_object_get(s, "complete"))) {
		snprintf(field, size, "'complete' is not true or false");
		return -1;
	}
	if (check_list(s, "outcomes", 0, "outcome", field, size) != 0 ||
	    check_list(s, "deadlocks", 0, "outcome", field, size) != 0 ||
	    check_list(s, "failures", 0, "outcome", field, size) != 0 ||
	    check_list(s, "races", 1, NULL, field, size) != 0)
		return -1;
	if (ex == NULL)
		return 0;
	if (!json_is_array(ex)) {
		snprintf(field, size, "'expectations' is not a list");
		return -1;
	}
	json_array_foreach(ex, i, x)
	{
		json_t *held = json_object_get(x, "held");

		if (!json_is_object(x) || !is_count(held) ||
		    json_integer_value(held) > runs) {
			snprintf(field, size,
			         "expectations[%zu].held is not an integer "
			         "from 0 to runs",
			         i);
			return -1;
		}
		if (json_object_get(x, "when") != NULL &&
		    !json_is_string(json_object_get(x, "when"))) {
			snprintf(field, size,
			         "expectations[%zu].when is not a string", i);
			return -1;
		}
	}
	return 0;
}

/* Set field key of dst to its value plus the same field of src, checked:
 * 0, or -1 when the sum does not fit. */
static int
add_field(json_t *dst, const json_t *src, const char *key)
{
	json_int_t sum;

	if (__builtin_add_overflow(
	            json_integer_value(json_object_get(dst, key)),
	            json_integer_value(json_object_get(src, key)), &sum))
		return -1;
	json_object_set_new(dst, key, json_integer(sum));
	return 0;
}

/* Find the outcome with the same text in list, or NULL. */
static json_t *
find_outcome(json_t *list, const char *text)
{
	size_t i;
	json_t *o;

	json_array_foreach(list, i, o)
	{
		const char *t =
		        json_string_value(json_object_get(o, "outcome"));

		if (t != NULL && strcmp(t, text) == 0)
			return o;
	}
	return NULL;
}

/* Add the outcomes of src under key into dst's list. */
static int
merge_list(json_t *dst, json_t *src, const char *key)
{
	json_t *to = json_object_get(dst, key),
	       *from = json_object_get(src, key);
	size_t i;
	json_t *o;

	if (!json_is_array(to) || !json_is_array(from))
		return -1;
	json_array_foreach(from, i, o)
	{
		const char *text =
		        json_string_value(json_object_get(o, "outcome"));
		json_t *have;

		if (text == NULL)
			return -1;
		have = find_outcome(to, text);
		if (have == NULL) {
			json_array_append(to, o);
			continue;
		}
		if (add_field(have, o, "count") != 0)
			return -2;
	}
	return 0;
}

/* Are two sides of races ({"proc", "op", "line"}) the same action? */
static int
same_site(json_t *a, json_t *b)
{
	static const char *const keys[] = {"proc", "op", "line"};

	for (size_t i = 0; i < 3; i++)
		if (!json_equal(json_object_get(a, keys[i]),
		                json_object_get(b, keys[i])))
			return 0;
	return 1;
}

/* Are two races the same: the object and both sides, in either order? */
static int
same_race(json_t *a, json_t *b)
{
	json_t *a1 = json_object_get(a, "first"),
	       *a2 = json_object_get(a, "second"),
	       *b1 = json_object_get(b, "first"),
	       *b2 = json_object_get(b, "second");

	if (!json_equal(json_object_get(a, "object"),
	                json_object_get(b, "object")))
		return 0;
	return (same_site(a1, b1) && same_site(a2, b2)) ||
	       (same_site(a1, b2) && same_site(a2, b1));
}

/* Add the races of src into dst's: the same race's counts add up, its
 * first summary's schedule stays. Summaries without races are fine. */
static int
merge_races(json_t *dst, json_t *src)
{
	json_t *to = json_object_get(dst, "races"),
	       *from = json_object_get(src, "races"), *o;
	size_t i;

	if (from == NULL)
		return 0;
	if (!json_is_array(from))
		return -1;
	if (to == NULL) {
		json_object_set(dst, "races", from);
		return 0;
	}
	if (!json_is_array(to))
		return -1;
	json_array_foreach(from, i, o)
	{
		json_t *have = NULL, *r;
		size_t k;

		json_array_foreach(to, k, r)
		{
			if (have == NULL && same_race(r, o))
				have = r;
		}
		if (have == NULL) {
			json_array_append(to, o);
			continue;
		}
		if (add_field(have, o, "count") != 0)
			return -2;
	}
	return 0;
}

/* Add src's expectation counts into dst's. */
static int
merge_expectations(json_t *dst, json_t *src)
{
	json_t *to = json_object_get(dst, "expectations"),
	       *from = json_object_get(src, "expectations");

	if (json_array_size(to) != json_array_size(from))
		return -1;
	for (size_t i = 0; i < json_array_size(to); i++) {
		json_t *a = json_array_get(to, i), *b = json_array_get(from, i);

		if (add_field(a, b, "held") != 0)
			return -2;
	}
	return 0;
}

/* Judge the expectations again over the merged runs. */
static int
rejudge(json_t *sum)
{
	json_int_t runs = json_integer_value(json_object_get(sum, "runs"));
	json_t *x;
	size_t i;
	int failed = 0;

	json_array_foreach(json_object_get(sum, "expectations"), i, x)
	{
		const char *when =
		        json_string_value(json_object_get(x, "when"));
		json_int_t held =
		        json_integer_value(json_object_get(x, "held"));
		int ok = when && strcmp(when, "never") == 0 ? held == 0
		         : when && strcmp(when, "sometimes") == 0
		                 ? held > 0
		                 : held == runs;

		json_object_set_new(x, "passed", json_boolean(ok));
		failed |= !ok;
	}
	return failed;
}

/* `lockstep merge SUMMARY...` */
int
lk_cmd_merge(int argc, char **argv)
{
	json_t *sum = NULL;
	int status = 0;

	if (argc < 2)
		return lk_cli_fail(LK_EXIT_USAGE,
		                   "merge: no summary given; see "
		                   "'lockstep merge --help'");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_merge, stdout);
		return 0;
	}
	if ((status = lk_cli_operands_only("merge", argc, argv)) != 0)
		return status;
	for (int i = 1; i < argc; i++) {
		json_error_t je;
		struct lk_err err;
		char field[160];
		int fd = lk_input_open(argv[i],
		                       "a summary file (explore --json)", &err),
		    rc;
		json_t *s;

		if (fd < 0) {
			json_decref(sum);
			return lk_cli_fail(err.status, "%s", err.msg);
		}
		s = json_loadfd(fd, 0, &je);
		close(fd);
		if (s == NULL || !json_is_object(s)) {
			json_decref(s);
			json_decref(sum);
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "%s:%d: %s, expected the output of "
			                   "lockstep explore --json",
			                   argv[i], s ? 1 : je.line,
			                   s ? "not an explore summary"
			                     : je.text);
		}
		if (check_summary(s, field, sizeof(field)) != 0) {
			json_decref(s);
			json_decref(sum);
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "%s: %s, expected the output of "
			                   "lockstep explore --json",
			                   argv[i], field);
		}
		if (sum == NULL) {
			sum = s;
			continue;
		}
		if (add_field(sum, s, "runs") != 0) {
			json_decref(s);
			json_decref(sum);
			return lk_cli_fail(LK_EXIT_USAGE,
			                   "%s: runs: the total is too large "
			                   "to count",
			                   argv[i]);
		}
		json_object_set_new(sum, "complete",
		                    json_boolean(json_is_true(json_object_get(
		                                         sum, "complete")) &&
		                                 json_is_true(json_object_get(
		                                         s, "complete"))));
		if ((rc = merge_list(sum, s, "outcomes")) != 0 ||
		    (rc = merge_list(sum, s, "deadlocks")) != 0 ||
		    (rc = merge_list(sum, s, "failures")) != 0 ||
		    (rc = merge_races(sum, s)) != 0 ||
		    (rc = merge_expectations(sum, s)) != 0) {
			json_decref(s);
			json_decref(sum);
			if (rc == -2)
				return lk_cli_fail(LK_EXIT_USAGE,
				                   "%s: a count or held: the "
				                   "total is too large to "
				                   "count",
				                   argv[i]);
			return lk_cli_fail(
			        LK_EXIT_USAGE,
			        "%s: does not fit the others (another "
			        "scenario?)",
			        argv[i]);
		}
		json_decref(s);
	}
	if (rejudge(sum))
		status = LK_EXIT_EXPECT;
	if (json_array_size(json_object_get(sum, "failures")) > 0)
		status = LK_EXIT_CRASH;
	if (json_array_size(json_object_get(sum, "deadlocks")) > 0)
		status = LK_EXIT_DEADLOCK;
	json_dumpf(sum, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(sum);
	return status;
}
