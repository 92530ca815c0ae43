/* Unit tests for runner/scenario: the model, the schema and every error. */
#include <sys/stat.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlversion.h>

#include "common/input.h"
#include "scenario/regex.h"
#include "scenario/scenario.h"

#ifndef LK_TEST_BAD_DIR
#define LK_TEST_BAD_DIR "tests/bad"
#endif

/* libxml2 2.12 made the error passed to handlers const. */
#if LIBXML_VERSION >= 21200
#define ERROR_CONST const
#else
#define ERROR_CONST
#endif

/* The example from the language description, one element per line. */
static const char rendezvous[] =
        "<scenario name=\"rendezvous\" version=\"1\">\n"       /* 1 */
        "  <description>Two processes meet.</description>\n"   /* 2 */
        "  <semaphore name=\"a_arrived\" value=\"0\"/>\n"      /* 3 */
        "  <semaphore name=\"b_arrived\" kind=\"unnamed\"/>\n" /* 4 */
        "  <file name=\"out\" path=\"out.txt\"/>\n"            /* 5 */
        "  <process name=\"A\">\n"                             /* 6 */
        "    <print>A1</print>\n"                              /* 7 */
        "    <post sem=\"a_arrived\"/>\n"                      /* 8 */
        "    <wait sem=\"b_arrived\"/>\n"                      /* 9 */
        "    <print>A2</print>\n"                              /* 10 */
        "  </process>\n"                                       /* 11 */
        "  <process name=\"B\">\n"                             /* 12 */
        "    <print>B1</print>\n"                              /* 13 */
        "    <post sem=\"b_arrived\"/>\n"                      /* 14 */
        "    <wait sem=\"a_arrived\"/>\n"                      /* 15 */
        "    <print>B2</print>\n"                              /* 16 */
        "  </process>\n"                                       /* 17 */
        "  <expect>\n"                                         /* 18 */
        "    <before first=\"A1\" then=\"B2\"/>\n"             /* 19 */
        "  </expect>\n"                                        /* 20 */
        "</scenario>\n";

/* Parse xml (NUL-terminated) as "t.xml"; returns the scenario or NULL. */
static struct lk_scenario *
parse(const char *xml, struct lk_err *err)
{
	struct lk_scenario *sc = NULL;

	memset(err, 0, sizeof(*err));
	if (lk_scenario_parse(xml, strlen(xml), "t.xml", &sc, err) < 0) {
		assert_null(sc);
		return NULL;
	}
	assert_non_null(sc);
	return sc;
}

/* Parse xml, which must be valid, failing the test with the message. */
static struct lk_scenario *
parse_ok(const char *xml)
{
	struct lk_scenario *sc;
	struct lk_err err;

	if ((sc = parse(xml, &err)) == NULL)
		fail_msg("unexpected error: %s", err.msg);
	return sc;
}

/* Bytes libxml2 holds through the counting allocator, and the most it
 * held (both from when counting started: blocks allocated before are
 * subtracted when freed). */
static long long xml_now, xml_peak;

/* Count size bytes (negative: freed). */
static void
xml_count(long long size)
{
	xml_now += size;
	if (xml_now > xml_peak)
		xml_peak = xml_now;
}

static void *
count_malloc(size_t size)
{
	void *p = malloc(size);

	if (p != NULL)
		xml_count((long long)malloc_usable_size(p));
	return p;
}

static void
count_free(void *p)
{
	if (p != NULL)
		xml_count(-(long long)malloc_usable_size(p));
	free(p);
}

static void *
count_realloc(void *p, size_t size)
{
	long long old = p != NULL ? (long long)malloc_usable_size(p) : 0;
	void *q = realloc(p, size);

	if (q != NULL)
		xml_count((long long)malloc_usable_size(q) - old);
	return q;
}

static char *
count_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = count_malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* Parse xml, which must fail at line with a message containing sub. */
static void
expect_error(const char *xml, int line, const char *sub)
{
	struct lk_scenario *sc;
	struct lk_err err;
	char at[32];

	if ((sc = parse(xml, &err)) != NULL) {
		lk_scenario_free(sc);
		fail_msg("parsed, expected an error at line %d: %s", line, sub);
	}
	assert_int_equal(err.status, LK_EXIT_USAGE);
	snprintf(at, sizeof(at), "t.xml:%d: ", line);
	if (strncmp(err.msg, at, strlen(at)) != 0 ||
	    strstr(err.msg, sub) == NULL)
		fail_msg("got \"%s\", expected \"%s\" and \"%s\"", err.msg, at,
		         sub);
}

/* A scenario of one process "A" around body (line 3 on), after decls. */
static char *
with_body(const char *decls, const char *body)
{
	char *xml;

	if (asprintf(&xml,
	             "<scenario name=\"t\" version=\"1\">\n%s"
	             "<process name=\"A\">\n%s</process>\n</scenario>\n",
	             decls, body) < 0)
		fail();
	return xml;
}

/* Like expect_error on with_body(decls, body). */
static void
expect_body_error(const char *decls, const char *body, int line,
                  const char *sub)
{
	char *xml = with_body(decls, body);

	expect_error(xml, line, sub);
	free(xml);
}

/* The rendezvous example gives the model it describes. */
static void
test_scenario_rendezvous(void **state)
{
	static const enum lk_act_kind kinds[4] = {LK_ACT_PRINT, LK_ACT_POST,
	                                          LK_ACT_WAIT, LK_ACT_PRINT};
	struct lk_scenario *sc = parse_ok(rendezvous);
	const struct lk_sc_process *a, *b;
	size_t i;

	(void)state;
	assert_string_equal(sc->path, "t.xml");
	assert_string_equal(sc->name, "rendezvous");
	assert_string_equal(sc->description, "Two processes meet.");
	assert_int_equal(sc->nobjects, 3);
	assert_int_equal(sc->objects[0].kind, LK_OBJ_SEM);
	assert_string_equal(sc->objects[0].name, "a_arrived");
	assert_int_equal(sc->objects[0].line, 3);
	assert_int_equal(sc->objects[0].u.sem.kind, LK_SEM_NAMED);
	assert_int_equal(sc->objects[1].u.sem.kind, LK_SEM_UNNAMED);
	assert_int_equal(sc->objects[2].kind, LK_OBJ_FILE);
	assert_string_equal(sc->objects[2].u.file.path, "out.txt");
	assert_int_equal(sc->objects[2].line, 5);

	assert_int_equal(sc->nprocs, 2);
	a = &sc->procs[0];
	b = &sc->procs[1];
	assert_string_equal(a->name, "A");
	assert_string_equal(b->name, "B");
	assert_int_equal(a->line, 6);
	assert_int_equal(b->line, 12);
	assert_int_equal(a->nactions, 4);
	assert_int_equal(b->nactions, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(a->actions[i].kind, kinds[i]);
		assert_int_equal(b->actions[i].kind, kinds[i]);
		assert_int_equal(a->actions[i].line, 7 + (int)i);
		assert_int_equal(b->actions[i].line, 13 + (int)i);
	}
	assert_string_equal(a->actions[0].text, "A1");
	assert_int_equal(a->actions[0].obj, -1);
	assert_int_equal(a->actions[1].obj, 0);
	assert_int_equal(a->actions[2].obj, 1);
	assert_string_equal(a->actions[3].text, "A2");
	assert_int_equal(b->actions[1].obj, 1);
	assert_int_equal(b->actions[2].obj, 0);
	assert_string_equal(b->actions[3].text, "B2");

	assert_int_equal(sc->nexpects, 1);
	assert_int_equal(sc->expects[0].kind, LK_EXPECT_BEFORE);
	assert_int_equal(sc->expects[0].when, LK_ALWAYS);
	assert_int_equal(sc->expects[0].line, 19);
	assert_string_equal(sc->expects[0].first, "A1");
	assert_string_equal(sc->expects[0].then, "B2");
	assert_int_equal(sc->expects[0].obj, -1);
	lk_scenario_free(sc);
}

/* Omitted attributes take their documented defaults. */
static void
test_scenario_defaults(void **state)
{
	struct lk_scenario *sc =
	        parse_ok("<scenario name=\"d\" version=\"1\">\n"
	                 "<semaphore name=\"s\"/>\n"
	                 "<file name=\"log\"/>\n"
	                 "<process name=\"A\"><post sem=\"s\"/></process>\n"
	                 "<expect><deadlock/></expect>\n"
	                 "</scenario>\n");

	(void)state;
	assert_null(sc->description);
	assert_int_equal(sc->objects[0].u.sem.kind, LK_SEM_NAMED);
	assert_int_equal(sc->objects[0].u.sem.value, 0);
	assert_string_equal(sc->objects[1].u.file.path, "log");
	assert_string_equal(sc->procs[0].name, "A");
	assert_int_equal(sc->expects[0].kind, LK_EXPECT_DEADLOCK);
	assert_int_equal(sc->expects[0].when, LK_ALWAYS);
	assert_int_equal(sc->expects[0].obj, -1);
	assert_null(sc->expects[0].regex);
	lk_scenario_free(sc);
}

/* Every kind of action is built, with its object, text and numbers. */
static void
test_scenario_actions(void **state)
{
	char *xml = with_body("<semaphore name=\"s\" value=\"2147483647\"/>\n"
	                      "<file name=\"f\" path=\"f.txt\"/>\n",
	                      "<trywait sem=\"s\"/>\n"
	                      "<write file=\"f\">  a &amp; b\n</write>\n"
	                      "<sleep for=\"250ms\"/>\n"
	                      "<print><![CDATA[<x>]]> &lt;y&gt;</print>\n");
	struct lk_scenario *sc = parse_ok(xml);
	const struct lk_sc_action *a = sc->procs[0].actions;

	(void)state;
	assert_int_equal(sc->objects[0].u.sem.value, 2147483647u);
	assert_int_equal(sc->procs[0].nactions, 4);
	assert_int_equal(a[0].kind, LK_ACT_TRYWAIT);
	assert_int_equal(a[0].obj, 0);
	assert_int_equal(a[0].line, 5);
	assert_int_equal(a[1].kind, LK_ACT_WRITE);
	assert_int_equal(a[1].obj, 1);
	assert_string_equal(a[1].text, "  a & b\n");
	assert_int_equal(a[2].kind, LK_ACT_SLEEP);
	assert_int_equal(a[2].ns, 250000000ULL);
	assert_int_equal(a[2].line, 8);
	assert_int_equal(a[3].kind, LK_ACT_PRINT);
	assert_string_equal(a[3].text, "<x> <y>");
	lk_scenario_free(sc);
	free(xml);
}

/* count="3" gives three instances with their own copies of the actions. */
static void
test_scenario_count_expansion(void **state)
{
	struct lk_scenario *sc =
	        parse_ok("<scenario name=\"c\" version=\"1\">\n"
	                 "<semaphore name=\"s\"/>\n"
	                 "<process name=\"solo\"><print>x</print></process>\n"
	                 "<process name=\"w\" count=\"3\">\n"
	                 "<print>w</print>\n"
	                 "<repeat times=\"2\"><post sem=\"s\"/></repeat>\n"
	                 "</process>\n"
	                 "</scenario>\n");
	const struct lk_sc_process *p;
	size_t i;

	(void)state;
	assert_int_equal(sc->nprocs, 4);
	assert_string_equal(sc->procs[0].name, "solo");
	assert_string_equal(sc->procs[1].name, "w.1");
	assert_string_equal(sc->procs[2].name, "w.2");
	assert_string_equal(sc->procs[3].name, "w.3");
	for (i = 1; i < 4; i++) {
		p = &sc->procs[i];
		assert_int_equal(p->line, 4);
		assert_int_equal(p->nactions, 2);
		assert_string_equal(p->actions[0].text, "w");
		assert_int_equal(p->actions[0].line, 5);
		assert_int_equal(p->actions[1].kind, LK_ACT_REPEAT);
		assert_int_equal(p->actions[1].times, 2);
		assert_int_equal(p->actions[1].nbody, 1);
		assert_int_equal(p->actions[1].body[0].kind, LK_ACT_POST);
		assert_int_equal(p->actions[1].body[0].obj, 0);
		if (i > 1) {
			/* Deep copies: nothing shared with instance 1. */
			assert_ptr_not_equal(p->actions, sc->procs[1].actions);
			assert_ptr_not_equal(p->actions[0].text,
			                     sc->procs[1].actions[0].text);
			assert_ptr_not_equal(p->actions[1].body,
			                     sc->procs[1].actions[1].body);
		}
	}
	lk_scenario_free(sc);
}

/* A <repeat> inside a <repeat> keeps its structure and lines. */
static void
test_scenario_nested_repeat(void **state)
{
	char *xml = with_body("", "<repeat times=\"3\">\n"
	                          "<print>a</print>\n"
	                          "<repeat times=\"1000000\">\n"
	                          "<print>b</print>\n"
	                          "<sleep for=\"1.5s\"/>\n"
	                          "</repeat>\n"
	                          "</repeat>\n"
	                          "<print>c</print>\n");
	struct lk_scenario *sc = parse_ok(xml);
	const struct lk_sc_action *r, *in;

	(void)state;
	assert_int_equal(sc->procs[0].nactions, 2);
	r = &sc->procs[0].actions[0];
	assert_int_equal(r->kind, LK_ACT_REPEAT);
	assert_int_equal(r->times, 3);
	assert_int_equal(r->line, 3);
	assert_int_equal(r->nbody, 2);
	assert_string_equal(r->body[0].text, "a");
	in = &r->body[1];
	assert_int_equal(in->kind, LK_ACT_REPEAT);
	assert_int_equal(in->times, 1000000);
	assert_int_equal(in->line, 5);
	assert_int_equal(in->nbody, 2);
	assert_string_equal(in->body[0].text, "b");
	assert_int_equal(in->body[1].ns, 1500000000ULL);
	assert_int_equal(in->body[1].line, 7);
	assert_string_equal(sc->procs[0].actions[1].text, "c");
	lk_scenario_free(sc);
	free(xml);
}

/* Sixteen nested repeats are fine, seventeen are not. */
static void
test_scenario_repeat_depth(void **state)
{
	char body[2048];
	struct lk_scenario *sc;
	size_t used = 0;
	char *xml;
	int i;

	(void)state;
	for (i = 0; i < LK_MAX_DEPTH; i++)
		used += (size_t)snprintf(body + used, sizeof(body) - used,
		                         "<repeat times=\"2\">\n");
	used += (size_t)snprintf(body + used, sizeof(body) - used,
	                         "<print>x</print>\n");
	for (i = 0; i < LK_MAX_DEPTH; i++)
		used += (size_t)snprintf(body + used, sizeof(body) - used,
		                         "</repeat>\n");
	xml = with_body("", body);
	sc = parse_ok(xml);
	lk_scenario_free(sc);
	free(xml);

	/* One more level, opened on line 3 + LK_MAX_DEPTH. */
	memmove(body + 19, body, used + 1);
	memcpy(body, "<repeat times=\"2\">\n", 19);
	strcat(body, "</repeat>\n");
	expect_body_error("", body, 3 + LK_MAX_DEPTH,
	                  "<repeat> is nested 17 deep, expected at most 16");
}

/* Every expectation kind, with when= and its regex or file. */
static void
test_scenario_expectations(void **state)
{
	struct lk_scenario *sc = parse_ok(
	        "<scenario name=\"e\" version=\"1\">\n"
	        "<file name=\"out\"/>\n"
	        "<process name=\"A\"><print>A1</print></process>\n"
	        "<process name=\"B\"><repeat times=\"2\"><print>B2</print>"
	        "</repeat></process>\n"
	        "<expect>\n"
	        "<before first=\"A1\" then=\"B2\" when=\"never\"/>\n"
	        "<output matches=\"^A1\" when=\"sometimes\"/>\n"
	        "<contents file=\"out\" matches=\"^(0123456789){5}$\"/>\n"
	        "<deadlock when=\"always\"/>\n"
	        "</expect>\n"
	        "</scenario>\n");
	const struct lk_sc_expect *e = sc->expects;

	(void)state;
	assert_int_equal(sc->nexpects, 4);
	assert_int_equal(e[0].kind, LK_EXPECT_BEFORE);
	assert_int_equal(e[0].when, LK_NEVER);
	assert_int_equal(e[0].line, 6);
	assert_int_equal(e[1].kind, LK_EXPECT_OUTPUT);
	assert_int_equal(e[1].when, LK_SOMETIMES);
	assert_string_equal(e[1].regex, "^A1");
	assert_int_equal(e[1].obj, -1);
	assert_int_equal(e[2].kind, LK_EXPECT_CONTENTS);
	assert_int_equal(e[2].when, LK_ALWAYS);
	assert_string_equal(e[2].regex, "^(0123456789){5}$");
	assert_int_equal(e[2].obj, 0);
	assert_int_equal(e[3].kind, LK_EXPECT_DEADLOCK);
	assert_int_equal(e[3].when, LK_ALWAYS);
	assert_int_equal(e[3].line, 9);
	lk_scenario_free(sc);
}

/* lk_scenario_find_object finds declared objects by name only. */
static void
test_scenario_find_object(void **state)
{
	struct lk_scenario *sc = parse_ok(rendezvous);

	(void)state;
	assert_int_equal(lk_scenario_find_object(sc, "a_arrived"), 0);
	assert_int_equal(lk_scenario_find_object(sc, "out"), 2);
	assert_int_equal(lk_scenario_find_object(sc, "A"), -1);
	assert_int_equal(lk_scenario_find_object(sc, "a_arrive"), -1);
	assert_int_equal(lk_scenario_find_object(NULL, "out"), -1);
	lk_scenario_free(sc);
	lk_scenario_free(NULL);
}

/* Exactly LK_MAX_PROCS processes and 256 objects are accepted. */
static void
test_scenario_limits_accepted(void **state)
{
	char *xml, *decls;
	struct lk_scenario *sc;
	size_t used = 0, size = 256 * 40;
	int i;

	(void)state;
	sc = parse_ok("<scenario name=\"m\" version=\"1\">\n"
	              "<process name=\"a\" count=\"63\"><print>a</print>"
	              "</process>\n"
	              "<process name=\"b\"><print>b</print></process>\n"
	              "</scenario>\n");
	assert_int_equal(sc->nprocs, LK_MAX_PROCS);
	assert_string_equal(sc->procs[62].name, "a.63");
	assert_string_equal(sc->procs[63].name, "b");
	lk_scenario_free(sc);

	decls = malloc(size);
	assert_non_null(decls);
	for (i = 0; i < LK_MAX_DECLARED; i++)
		used += (size_t)snprintf(decls + used, size - used,
		                         "<semaphore name=\"s%d\"/>\n", i);
	xml = with_body(decls, "<post sem=\"s191\"/>\n");
	sc = parse_ok(xml);
	assert_int_equal(sc->nobjects, LK_MAX_DECLARED);
	assert_int_equal(sc->procs[0].actions[0].obj, LK_MAX_DECLARED - 1);
	lk_scenario_free(sc);
	free(xml);

	/* One more is refused at the line of the 193rd declaration. */
	snprintf(decls + used, size - used, "<file name=\"f\"/>\n");
	expect_body_error(decls, "<post sem=\"s0\"/>\n", 2 + LK_MAX_DECLARED,
	                  "file \"f\" is object number 193, expected at most "
	                  "192 objects");
	free(decls);
}

/* Durations: units, fractions, and everything that is refused. */
static void
test_scenario_durations(void **state)
{
	static const char *const bad[] = {
	        "",
	        "1",
	        "1 s",
	        " 1s",
	        "1s ",
	        "-1s",
	        "+1s",
	        "1h",
	        "1m",
	        "1.5ns",
	        "1.0001us",
	        "0.0000000001s",
	        "1.s",
	        ".5s",
	        "1e3ms",
	        "s",
	        "86401s",
	        "86400001ms",
	        "86400.000000001s",
	        "18446744073709551616s",
	        "99999999999999999999999ns",
	        "1S",
	        "1 ms",
	};
	uint64_t ns;
	size_t i;

	(void)state;
	assert_int_equal(lk_parse_duration("1s", &ns), 0);
	assert_int_equal(ns, 1000000000ULL);
	assert_int_equal(lk_parse_duration("250ms", &ns), 0);
	assert_int_equal(ns, 250000000ULL);
	assert_int_equal(lk_parse_duration("1.5s", &ns), 0);
	assert_int_equal(ns, 1500000000ULL);
	assert_int_equal(lk_parse_duration("10us", &ns), 0);
	assert_int_equal(ns, 10000ULL);
	assert_int_equal(lk_parse_duration("5ns", &ns), 0);
	assert_int_equal(ns, 5ULL);
	assert_int_equal(lk_parse_duration("0s", &ns), 0);
	assert_int_equal(ns, 0ULL);
	assert_int_equal(lk_parse_duration("0.1s", &ns), 0);
	assert_int_equal(ns, 100000000ULL);
	assert_int_equal(lk_parse_duration("1.0ns", &ns), 0);
	assert_int_equal(ns, 1ULL);
	assert_int_equal(lk_parse_duration("2.50us", &ns), 0);
	assert_int_equal(ns, 2500ULL);
	assert_int_equal(lk_parse_duration("0.000000001s", &ns), 0);
	assert_int_equal(ns, 1ULL);
	assert_int_equal(lk_parse_duration("86400s", &ns), 0);
	assert_int_equal(ns, 86400000000000ULL);
	assert_int_equal(lk_parse_duration("0086400000ms", &ns), 0);
	assert_int_equal(ns, 86400000000000ULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ns = 42;
		if (lk_parse_duration(bad[i], &ns) == 0)
			fail_msg("\"%s\" accepted as %llu ns", bad[i],
			         (unsigned long long)ns);
		assert_int_equal(ns, 42);
	}
	assert_int_equal(lk_parse_duration(NULL, &ns), -1);
}

/* A <sleep> with a bad duration names the line and the reason. */
static void
test_scenario_bad_sleep(void **state)
{
	(void)state;
	expect_body_error("", "<print>a</print>\n<sleep for=\"1 minute\"/>\n",
	                  4,
	                  "<sleep for=\"1 minute\">: expected a duration such "
	                  "as 250ms or 1.5s");
	expect_body_error("", "<sleep for=\"1.5ns\"/>\n", 3,
	                  "expected a whole number of nanoseconds");
	expect_body_error("", "<sleep for=\"2000000s\"/>\n", 3,
	                  "expected a duration of at most one day");
	expect_body_error("", "<sleep for=\"\"/>\n", 3,
	                  "<sleep for=\"\">: expected a duration");
}

/* An unclosed tag is reported at the line where it was opened. */
static void
test_scenario_not_well_formed(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\">\n"
	             "<print>a</print>\n",
	             2, "<process> is never closed, expected </process>");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\">\n"
	             "<print>a\n"
	             "</process>\n"
	             "</scenario>\n",
	             4, "</process> does not match <print> on line 3");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\" name=\"B\">\n",
	             2, "attribute name redefined");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>&nbsp;</print></process>\n"
	             "</scenario>\n",
	             2, "entity 'nbsp' not defined");
}

/* An element the language does not have. */
static void
test_scenario_unknown_element(void **state)
{
	(void)state;
	expect_body_error("", "<print>a</print>\n<frobnicate/>\n", 4,
	                  "element 'frobnicate': this element is not "
	                  "expected");
	expect_error("<scenarios name=\"t\" version=\"1\"/>\n", 1,
	             "element 'scenarios': no matching global declaration");
}

/* An attribute the element does not have. */
static void
test_scenario_unknown_attribute(void **state)
{
	(void)state;
	expect_body_error("", "<print colour=\"red\">a</print>\n", 3,
	                  "element 'print', attribute 'colour': the "
	                  "attribute 'colour' is not allowed");
}

/* A required attribute that is missing. */
static void
test_scenario_missing_attribute(void **state)
{
	(void)state;
	expect_body_error("<semaphore name=\"s\"/>\n", "<wait/>\n", 4,
	                  "element 'wait': the attribute 'sem' is required "
	                  "but missing");
	expect_error("<scenario name=\"t\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "</scenario>\n",
	             1, "the attribute 'version' is required but missing");
}

/* version must be "1". */
static void
test_scenario_wrong_version(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"2\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "</scenario>\n",
	             1,
	             "attribute 'version': the value '2' does not match the "
	             "fixed value constraint '1'");
}

/* Names follow the pattern and fit in LK_NAME_MAX. */
static void
test_scenario_bad_names(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A.b\"><print>a</print></process>\n"
	             "</scenario>\n",
	             2,
	             "attribute 'name': the value 'A.b' is not accepted by "
	             "the pattern");
	expect_body_error("<semaphore name=\"1s\"/>\n", "<print>a</print>\n", 2,
	                  "the value '1s' is not accepted by the pattern");
	expect_body_error("<semaphore name=\"abcdefghijklmnopqrstuvwxyz_"
	                  "abcdefghijklmnopqrstu\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "exceeds the allowed maximum length of '47'");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"abcdefghijklmnopqrstuvwxyz_abcdefghij"
	             "klmnopqrst\" count=\"10\"><print>a</print></process>\n"
	             "</scenario>\n",
	             2,
	             "gives instance names such as \"abcdefghijklmnopqrstuvwx"
	             "yz_abcdefghijklmnopqrst.10\" of 50 characters, expected "
	             "at most 47");
}

/* Declarations, processes and expectations come in a fixed order. */
static void
test_scenario_element_order(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<semaphore name=\"s\"/>\n"
	             "</scenario>\n",
	             3, "element 'semaphore': this element is not expected");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<semaphore name=\"s\"/>\n"
	             "</scenario>\n",
	             1, "element 'scenario': missing child element(s)");
}

/* Semaphores, files and their kinds must be declared. */
static void
test_scenario_undeclared_objects(void **state)
{
	(void)state;
	expect_body_error("<semaphore name=\"a_arrived\"/>\n"
	                  "<semaphore name=\"b_arrived\"/>\n"
	                  "<file name=\"out\"/>\n",
	                  "<post sem=\"a_arrived\"/>\n<wait sem=\"c\"/>\n", 7,
	                  "<wait> names semaphore \"c\", which is not declared "
	                  "(declared: a_arrived, b_arrived)");
	expect_body_error("", "<post sem=\"s\"/>\n", 3,
	                  "<post> names semaphore \"s\", which is not declared "
	                  "(no semaphore is declared)");
	expect_body_error("<file name=\"out\" path=\"out.txt\"/>\n",
	                  "<write file=\"log\">x</write>\n", 4,
	                  "<write> names file \"log\", which is not declared "
	                  "(declared: out)");
	expect_body_error("<semaphore name=\"s\"/>\n<file name=\"out\"/>\n",
	                  "<wait sem=\"out\"/>\n", 5,
	                  "<wait> names \"out\", which is a file, expected a "
	                  "semaphore");
	expect_body_error("<semaphore name=\"s\"/>\n",
	                  "<write file=\"s\">x</write>\n", 4,
	                  "<write> names \"s\", which is a semaphore, expected "
	                  "a file");
}

/* Two processes with one name, counted or not. */
static void
test_scenario_duplicate_process(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\" count=\"2\"><print>a</print>"
	             "</process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "<process name=\"A\"><print>c</print></process>\n"
	             "</scenario>\n",
	             4,
	             "process \"A\" is already declared on line 2, expected "
	             "unique process names");
}

/* Objects share one namespace; file paths must differ. */
static void
test_scenario_duplicate_object(void **state)
{
	(void)state;
	expect_body_error("<semaphore name=\"m\"/>\n<file name=\"m\"/>\n",
	                  "<print>a</print>\n", 3,
	                  "file \"m\" reuses the name of the semaphore "
	                  "declared on line 2, expected unique object names");
	expect_body_error("<semaphore name=\"m\"/>\n<semaphore name=\"m\"/>\n",
	                  "<print>a</print>\n", 3,
	                  "semaphore \"m\" reuses the name of the semaphore");
	expect_body_error("<file name=\"a\" path=\"b\"/>\n"
	                  "<file name=\"c\"/>\n<file name=\"b\"/>\n",
	                  "<print>a</print>\n", 4,
	                  "file \"b\" has path \"b\", which file \"a\" on "
	                  "line 2 already uses, expected a distinct path");
}

/* File paths are relative, without "." or ".." components. */
static void
test_scenario_bad_paths(void **state)
{
	(void)state;
	expect_body_error("<file name=\"f\" path=\"/etc/passwd\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "file \"f\" has path \"/etc/passwd\", expected a "
	                  "relative path");
	expect_body_error("<file name=\"f\" path=\"../x\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "without \".\" or \"..\" components");
	expect_body_error("<file name=\"f\" path=\"a/b/..\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "without \".\" or \"..\" components");
	expect_body_error("<file name=\"f\" path=\"./x\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "without \".\" or \"..\" components");
	expect_body_error("<file name=\"f\" path=\"a//b\"/>\n",
	                  "<print>a</print>\n", 2, "without empty components");
	expect_body_error("<file name=\"f\" path=\"logs/\"/>\n",
	                  "<print>a</print>\n", 2, "without empty components");
	expect_body_error("<file name=\"f\" path=\"logs/out.txt\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "whose directory \"logs\" does not exist");
	expect_body_error("<file name=\"f\" path=\"a&#10;b\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "expected a path without control characters");
	expect_body_error("<file name=\"f\" path=\"\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "attribute 'path': the value '' has a length of '0'");
}

/* Semaphore values outside 0..SEM_VALUE_MAX. */
static void
test_scenario_sem_value_range(void **state)
{
	(void)state;
	expect_body_error("<semaphore name=\"m\" value=\"4294967296\"/>\n",
	                  "<wait sem=\"m\"/>\n", 2,
	                  "semaphore \"m\" has value 4294967296, expected "
	                  "0..2147483647");
	expect_body_error("<semaphore name=\"m\" value=\"2147483648\"/>\n",
	                  "<wait sem=\"m\"/>\n", 2,
	                  "has value 2147483648, expected 0..2147483647");
	expect_body_error("<semaphore name=\"m\" value=\"-1\"/>\n",
	                  "<wait sem=\"m\"/>\n", 2,
	                  "semaphore \"m\" has value -1, expected "
	                  "0..2147483647");
	expect_body_error("<semaphore name=\"m\" value=\"9999999999999999999"
	                  "99999999\"/>\n",
	                  "<wait sem=\"m\"/>\n", 2, "expected 0..2147483647");
	expect_body_error("<semaphore name=\"m\" value=\"one\"/>\n",
	                  "<wait sem=\"m\"/>\n", 2,
	                  "semaphore \"m\" has value \"one\", expected an "
	                  "integer 0..2147483647");
	expect_body_error("<semaphore name=\"m\" value=\"\"/>\n",
	                  "<wait sem=\"m\"/>\n", 2,
	                  "semaphore \"m\" has value \"\", expected an "
	                  "integer 0..2147483647");
}

/* <repeat times> is 1..LK_MAX_REPEAT. */
static void
test_scenario_repeat_times(void **state)
{
	(void)state;
	expect_body_error("", "<repeat times=\"0\"><print>a</print></repeat>\n",
	                  3,
	                  "attribute 'times': the value '0' is less than the "
	                  "minimum value allowed ('1')");
	expect_body_error(
	        "",
	        "<print>a</print>\n"
	        "<repeat times=\"1000001\"><print>a</print></repeat>\n",
	        4, "is greater than the maximum value allowed");
}

/* A process with no actions at all. */
static void
test_scenario_empty_process(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\">\n"
	             "</process>\n"
	             "</scenario>\n",
	             2,
	             "element 'process': missing child element(s); expected "
	             "is one of ( print, post, wait, trywait, write, sleep, "
	             "repeat, read, close, open )");
	expect_body_error("", "<repeat times=\"2\"/>\n", 3,
	                  "element 'repeat': missing child element(s)");
	expect_body_error("", "<print></print>\n", 3,
	                  "element 'print': the value has a length of '0'");
}

/* <contents> must name a declared file. */
static void
test_scenario_contents_undeclared(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<file name=\"out\"/>\n"
	             "<semaphore name=\"s\"/>\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<expect>\n"
	             "<contents file=\"log\" matches=\"x\"/>\n"
	             "</expect>\n"
	             "</scenario>\n",
	             6,
	             "<contents> names file \"log\", which is not declared "
	             "(declared: out)");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<semaphore name=\"s\"/>\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<expect><contents file=\"s\" matches=\"x\"/></expect>\n"
	             "</scenario>\n",
	             4,
	             "<contents> names \"s\", which is a semaphore, expected "
	             "a file");
}

/* Regular expressions must compile as POSIX extended ones. */
static void
test_scenario_bad_regex(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<expect>\n"
	             "<output matches=\"^(a\"/>\n"
	             "</expect>\n"
	             "</scenario>\n",
	             4,
	             "<output matches=\"^(a\">: unmatched ( or \\(, expected "
	             "a POSIX extended regular expression");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<file name=\"f\"/>\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<expect><contents file=\"f\" matches=\"a{2,1}\"/>"
	             "</expect>\n"
	             "</scenario>\n",
	             4, "<contents matches=\"a{2,1}\">: ");
}

/* Match re against s with the scenario regex engine: 1, 0 or -1. */
static int
rx_match(const char *re, const char *s)
{
	char why[256];
	struct lk_regex *rx = lk_regex_compile(re, why, sizeof(why));
	int rc;

	if (rx == NULL)
		fail_msg("'%s' does not compile: %s", re, why);
	rc = lk_regex_match(rx, s, strlen(s), why, sizeof(why));
	lk_regex_free(rx);
	return rc;
}

/* The POSIX extended dialect keeps its meaning under PCRE2. */
static void
test_scenario_regex_dialect(void **state)
{
	char why[256], *pat;

	(void)state;
	/* $ is the very end; . matches a newline; ^ only the start. */
	assert_int_equal(rx_match("^x$", "x\n"), 0);
	assert_int_equal(rx_match("^x\n$", "x\n"), 1);
	assert_int_equal(rx_match("a.b", "a\nb"), 1);
	assert_int_equal(rx_match("^b", "a\nb"), 0);
	/* A repetition of a repetition repeats, never possessive. */
	assert_int_equal(rx_match("^a++a$", "aaa"), 1);
	assert_int_equal(rx_match("^a*+a$", "aa"), 1);
	assert_int_equal(rx_match("^[0-9]++{2}$", "12"), 1);
	assert_int_equal(rx_match("^a{,2}$", "aa"), 1);
	assert_int_equal(rx_match("^a{,2}$", "aaa"), 0);
	/* '\' is literal in brackets; classes; GNU escapes. */
	assert_int_equal(rx_match("^[\\]$", "\\"), 1);
	assert_int_equal(rx_match("^[[:digit:]]+$", "123"), 1);
	assert_int_equal(rx_match("^[[=a=]b]$", "b"), 1);
	assert_int_equal(rx_match("\\<is\\>", "this is"), 1);
	assert_int_equal(rx_match("\\<is\\>", "this"), 0);
	assert_int_equal(rx_match("^\\(x\\)\\s*$", "(x) \n"), 1);
	/* \d is GNU's literal d, not PCRE2's digit. */
	assert_int_equal(rx_match("^\\d$", "d"), 1);
	/* PCRE2's own syntax never gets through: (* and (? are literal. */
	pat = lk_regex_translate("^(*LIMIT_MATCH=1)", why, sizeof(why));
	assert_non_null(pat);
	assert_null(strstr(pat, "(*"));
	free(pat);
	assert_int_equal(rx_match("x(*UTF)", "x*UTF"), 1);
	/* Back-references are refused, with the reason. */
	assert_null(lk_regex_compile("^(a*)*\\1b$", why, sizeof(why)));
	assert_non_null(strstr(why, "\\1 is a back-reference"));
}

/* A match that would backtrack for ever stops at the limit: an error,
 * fast, never a "no". */
static void
test_scenario_regex_limits(void **state)
{
	char why[256], s[64];
	struct lk_regex *rx;
	struct timespec a, b;

	(void)state;
	memset(s, 'a', 40);
	strcpy(s + 40, "b\n");
	rx = lk_regex_compile("^(a|a)*b$", why, sizeof(why));
	assert_non_null(rx);
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(lk_regex_match(rx, s, strlen(s), why, sizeof(why)),
	                 -1);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_non_null(strstr(why, "backtracking steps"));
	/* The bound is the step count, not time: generous for a slow box. */
	assert_true(b.tv_sec - a.tv_sec < 30);
	lk_regex_free(rx);
	/* The same regex on a short output is judged. */
	assert_int_equal(rx_match("^(a|a)*b$", "aab"), 1);
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<expect>\n"
	             "<output matches=\"^(a*)*\\1b$\"/>\n"
	             "</expect>\n"
	             "</scenario>\n",
	             4, "\\1 is a back-reference");
}

/* Files too big for libxml2's quadratic parts are refused before it
 * parses them, fast, naming the limit. */
static void
test_scenario_xml_caps(void **state)
{
	size_t n = 1900000, len = 0, cap = 16u << 20;
	char *xml = malloc(cap), path[] = "/tmp/lockstep-caps-XXXXXX";
	struct lk_scenario *sc;
	struct lk_err err;
	struct timespec a, b;
	int fd;

	(void)state;
	assert_non_null(xml);
	for (int big = 1; big >= 0; big--) {
		/* 1.9 M attributes in 15 MB, then 90000 in under 1 MiB. */
		size_t want = big ? n : 90000;

		len = (size_t)sprintf(xml, "<scenario name=\"t\" "
		                           "version=\"1\"\n");
		for (size_t i = 0; i < want && len + 16 < cap; i++)
			len += (size_t)sprintf(xml + len, " a%zx=\"\"", i);
		len += (size_t)sprintf(xml + len, "/>\n");
		assert_true(big ? len > 15000000 : len < LK_XML_MAX_BYTES);
		clock_gettime(CLOCK_MONOTONIC, &a);
		assert_int_equal(
		        lk_scenario_parse(xml, len, "t.xml", &sc, &err), -1);
		clock_gettime(CLOCK_MONOTONIC, &b);
		assert_non_null(strstr(err.msg, "t.xml:1: "));
		assert_non_null(
		        strstr(err.msg, big ? "more than the limit of 1048576"
		                            : "more than 32 attributes"));
		/* Linear: a generous bound only a quadratic pass breaks. */
		assert_true(b.tv_sec - a.tv_sec < 10);
	}
	len = (size_t)sprintf(xml, "<scenario name=\"t\" version=\"1\"\n");
	for (size_t i = 0; i < n && len + 16 < cap; i++)
		len += (size_t)sprintf(xml + len, " a%zx=\"\"", i);
	len += (size_t)sprintf(xml + len, "/>\n");
	/* The file: refused by its size before it is all read. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, xml, len), (ssize_t)len);
	close(fd);
	assert_int_equal(lk_scenario_load(path, &sc, &err), -1);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_non_null(strstr(err.msg, "more than 1048576 bytes"));
	unlink(path);
	/* Too many elements, counted before parsing. */
	len = (size_t)sprintf(xml, "<scenario name=\"t\" version=\"1\">\n");
	for (int i = 0; i < LK_XML_MAX_ELEMENTS; i++)
		len += (size_t)sprintf(xml + len, "<x/>\n");
	len += (size_t)sprintf(xml + len, "</scenario>\n");
	assert_int_equal(lk_scenario_parse(xml, len, "t.xml", &sc, &err), -1);
	assert_non_null(strstr(err.msg, "t.xml:10001: more than 10000 "
	                                "elements"));
	free(xml);
}

/* What an input says reaches a terminal escaped: controls, DEL, C1
 * controls and invalid UTF-8; valid UTF-8 and newlines (when asked)
 * stay; the result is cut, terminated, at the buffer's end. */
static void
test_scenario_escape(void **state)
{
	char out[128];
	size_t n;

	(void)state;
	n = lk_escape("a\033[2J\377b\302\233c \303\251\n\t\177", out,
	              sizeof(out), 1);
	assert_string_equal(out,
	                    "a\\x1b[2J\\xffb\\xc2\\x9bc \303\251\n\t\\x7f");
	assert_int_equal(n, strlen(out));
	lk_escape("x\ny\r", out, sizeof(out), 0);
	assert_string_equal(out, "x\\x0ay\\x0d");
	/* Overlong and surrogate forms are invalid UTF-8. */
	lk_escape("\300\257\355\240\200", out, sizeof(out), 0);
	assert_string_equal(out, "\\xc0\\xaf\\xed\\xa0\\x80");
	n = lk_escape("\033\033\033", out, 6, 0);
	assert_int_equal(n, 12);
	assert_int_equal(strlen(out), 5);
}

/* <before> must name texts that some <print> prints. */
static void
test_scenario_before_texts(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>A1</print></process>\n"
	             "<process name=\"B\"><print>B1</print></process>\n"
	             "<expect>\n"
	             "<before first=\"A1\" then=\"B1\"/>\n"
	             "<before first=\"A9\" then=\"B1\"/>\n"
	             "</expect>\n"
	             "</scenario>\n",
	             6, "<before first=\"A9\">: no <print> prints \"A9\"");
	/* Whole texts only: "A" is not printed, "A1" is. */
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>A1</print></process>\n"
	             "<expect><before first=\"A1\" then=\"A\"/></expect>\n"
	             "</scenario>\n",
	             3, "<before then=\"A\">: no <print> prints \"A\"");
}

/* count= must be 1..64 and the total at most LK_MAX_PROCS. */
static void
test_scenario_process_count(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"w\" count=\"65\"><print>w</print>"
	             "</process>\n"
	             "</scenario>\n",
	             2, "process \"w\" has count=\"65\", expected 1..64");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"w\" count=\"0\"><print>w</print>"
	             "</process>\n"
	             "</scenario>\n",
	             2, "process \"w\" has count=\"0\", expected 1..64");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"w\" count=\"two\"><print>w</print>"
	             "</process>\n"
	             "</scenario>\n",
	             2, "process \"w\" has count=\"two\", expected 1..64");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"a\" count=\"64\"><print>a</print>"
	             "</process>\n"
	             "<process name=\"b\"><print>b</print></process>\n"
	             "</scenario>\n",
	             3,
	             "process \"b\" brings the number of processes to 65, "
	             "expected at most 64");
}

/* Any DOCTYPE is refused before its entities are even read. */
static void
test_scenario_doctype(void **state)
{
	static const char laughs[] =
	        "<?xml version=\"1.0\"?>\n"
	        "<!DOCTYPE scenario [\n"
	        "<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">\n"
	        "<!ENTITY b "
	        "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n"
	        "<!ENTITY c "
	        "\"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">\n"
	        "<!ENTITY d "
	        "\"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\n"
	        "<!ENTITY e "
	        "\"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">\n"
	        "<!ENTITY f "
	        "\"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">\n"
	        "<!ENTITY g "
	        "\"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">\n"
	        "<!ENTITY h "
	        "\"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">\n"
	        "]>\n"
	        "<scenario name=\"t\" version=\"1\">\n"
	        "<process name=\"A\"><print>&h;&h;&h;&h;&h;</print></process>\n"
	        "</scenario>\n";
	xmlFreeFunc f;
	xmlMallocFunc m;
	xmlReallocFunc r;
	xmlStrdupFunc d;

	(void)state;
	/* No expansion happened: the 3 GB of text would need libxml2 to
	 * allocate far more than 16 MB (a measure of work that does not
	 * depend on the machine's speed, as a time limit would). */
	assert_int_equal(xmlMemGet(&f, &m, &r, &d), 0);
	assert_int_equal(xmlMemSetup(count_free, count_malloc, count_realloc,
	                             count_strdup),
	                 0);
	xml_now = xml_peak = 0;
	expect_error(laughs, 2,
	             "DOCTYPE declarations are not allowed in scenarios");
	assert_int_equal(xmlMemSetup(f, m, r, d), 0);
	if (xml_peak > 16 << 20)
		fail_msg("libxml2 held %lld bytes at most", xml_peak);

	expect_error("<!DOCTYPE scenario [\n"
	             "<!ENTITY secret SYSTEM \"file:///etc/passwd\">\n"
	             "]>\n"
	             "<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>&secret;</print></process>\n"
	             "</scenario>\n",
	             1, "DOCTYPE declarations are not allowed in scenarios");
	expect_error("<?xml version=\"1.0\"?>\n"
	             "<!-- a comment first -->\n"
	             "<!DOCTYPE scenario SYSTEM \"http://example.com/x.dtd\">\n"
	             "<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "</scenario>\n",
	             3, "DOCTYPE declarations are not allowed in scenarios");
}

/* An empty or blank buffer, and a document without an element. */
static void
test_scenario_empty_file(void **state)
{
	struct lk_scenario *sc = NULL;
	struct lk_err err;

	(void)state;
	expect_error("", 1,
	             "the file is empty, expected a <scenario> document");
	expect_error("  \n\n\t\n", 1,
	             "the file is empty, expected a <scenario> document");
	assert_int_equal(lk_scenario_parse(NULL, 0, "t.xml", &sc, &err), -1);
	assert_null(sc);
	assert_string_equal(err.msg, "t.xml:1: the file is empty, expected "
	                             "a <scenario> document");
	expect_error("<?xml version=\"1.0\"?>\n<!-- nothing -->\n", 3,
	             "no root element found, expected a <scenario> document");
}

/* With several errors, only the first in the document is reported. */
static void
test_scenario_first_error_only(void **state)
{
	(void)state;
	expect_body_error("<semaphore name=\"m\" value=\"-1\"/>\n",
	                  "<wait sem=\"nope\"/>\n<sleep for=\"x\"/>\n", 2,
	                  "semaphore \"m\" has value -1");
	expect_body_error("", "<wait sem=\"nope\"/>\n<sleep for=\"x\"/>\n", 3,
	                  "<wait> names semaphore \"nope\"");
	expect_body_error("", "<frob/>\n<wait sem=\"nope\"/>\n<bar/>\n", 3,
	                  "element 'frob'");
}

/* A structured handler set by a caller to collect stray messages. */
static void
count_error(void *data, ERROR_CONST xmlError *e)
{
	(void)e;
	(*(int *)data)++;
}

/* libxml2 never prints, and the caller's handlers are left in place. */
static void
test_scenario_quiet(void **state)
{
	static const char *const docs[] = {
	        "<scenario",
	        "<!DOCTYPE x [<!ENTITY a \"b\">]><x/>",
	        "<scenario name=\"t\" version=\"1\"><frob/></scenario>",
	        "<x>&bad;</x>",
	        "<?xml version=\"1.0\" encoding=\"nope\"?><x/>",
	        "\xff\xfe<x/>",
	};
	struct lk_scenario *sc;
	struct lk_err err;
	char buf[64];
	int saved, fd, calls = 0;
	size_t i;
	ssize_t got;
	FILE *tmp;

	(void)state;
	tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	fd = fileno(tmp);
	assert_true(dup2(fd, 2) == 2);
	xmlSetStructuredErrorFunc(&calls, count_error);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		sc = NULL;
		assert_int_equal(lk_scenario_parse(docs[i], strlen(docs[i]),
		                                   "q.xml", &sc, &err),
		                 -1);
		assert_null(sc);
		assert_int_equal(strncmp(err.msg, "q.xml:", 6), 0);
	}
	/* The caller's handler is back and was never called by us. */
	assert_ptr_equal(xmlStructuredErrorContext, &calls);
	xmlSetStructuredErrorFunc(NULL, NULL);
	assert_int_equal(calls, 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	got = pread(fd, buf, sizeof(buf), 0);
	fclose(tmp);
	assert_int_equal(got, 0);
}

/* A NULL err is allowed; parsing twice reuses the cached schema. */
static void
test_scenario_null_err_and_reparse(void **state)
{
	struct lk_scenario *sc = NULL;
	int i;

	(void)state;
	assert_int_equal(lk_scenario_parse("<x/>", 4, "t.xml", &sc, NULL), -1);
	assert_null(sc);
	for (i = 0; i < 3; i++) {
		sc = parse_ok(rendezvous);
		assert_int_equal(sc->nprocs, 2);
		lk_scenario_free(sc);
	}
}

/* Loading a missing file says so, with the path and strerror. */
static void
test_scenario_load_missing(void **state)
{
	struct lk_scenario *sc = NULL;
	struct lk_err err;

	(void)state;
	assert_int_equal(lk_scenario_load("/nonexistent/x.xml", &sc, &err), -1);
	assert_null(sc);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_string_equal(err.msg, "/nonexistent/x.xml: no such file");
	/* A directory: what it is, and what was expected. */
	assert_int_equal(lk_scenario_load("/tmp", &sc, &err), -1);
	assert_int_equal(err.status, LK_EXIT_USAGE);
	assert_string_equal(err.msg,
	                    "/tmp: is a directory; expected a scenario file");
}

/* Loading a real file keeps the path as given. */
static void
test_scenario_load_file(void **state)
{
	char path[] = "/tmp/lk_test_scenario_XXXXXX";
	struct lk_scenario *sc = NULL;
	struct lk_err err;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, rendezvous, strlen(rendezvous)),
	                 (ssize_t)strlen(rendezvous));
	close(fd);
	if (lk_scenario_load(path, &sc, &err) < 0)
		fail_msg("%s", err.msg);
	unlink(path);
	assert_string_equal(sc->path, path);
	assert_int_equal(sc->nprocs, 2);
	lk_scenario_free(sc);
}

/* Every IPC element of the language, one per line. */
static const char ipc[] =
        "<scenario name=\"ipc\" version=\"1\">\n"                       /* 1 */
        "<pipe name=\"p\"/>\n"                                          /* 2 */
        "<fifo name=\"f\" path=\"f.fifo\"/>\n"                          /* 3 */
        "<shm name=\"m\" kind=\"sysv\">\n"                              /* 4 */
        "<cell name=\"x\" value=\"-9223372036854775808\"/>\n"           /* 5 */
        "<cell name=\"y\"/>\n"                                          /* 6 */
        "</shm>\n"                                                      /* 7 */
        "<file name=\"out\"/>\n"                                        /* 8 */
        "<fifo name=\"g\"/>\n"                                          /* 9 */
        "<shm name=\"n\">\n"                                            /* 10 */
        "<cell name=\"z\" value=\" +9223372036854775807 \"/>\n"         /* 11 */
        "</shm>\n"                                                      /* 12 */
        "<process name=\"parent\">\n"                                   /* 13 */
        "<spawn process=\"child\"/>\n"                                  /* 14 */
        "<spawn process=\"w\"/>\n"                                      /* 15 */
        "<close pipe=\"p\" end=\"read\"/>\n"                            /* 16 */
        "<write pipe=\"p\">hi&#10;</write>\n"                           /* 17 */
        "<close pipe=\"p\" end=\"write\"/>\n"                           /* 18 */
        "<waitpid process=\"child\"/>\n"                                /* 19 */
        "<waitpid process=\"w\"/>\n"                                    /* 20 */
        "<attach shm=\"m\"/>\n"                                         /* 21 */
        "<load cell=\"x\"/>\n"                                          /* 22 */
        "<print>x={x} y={y} {not a name} {} {1x} {</print>\n"           /* 23 */
        "<detach shm=\"m\"/>\n"                                         /* 24 */
        "<remove shm=\"m\"/>\n"                                         /* 25 */
        "</process>\n"                                                  /* 26 */
        "<process name=\"child\">\n"                                    /* 27 */
        "<close pipe=\"p\" end=\"write\"/>\n"                           /* 28 */
        "<exec stdin=\"p\" stdout=\"out\">wc&#9; -l&#10;</exec>\n"      /* 29 */
        "</process>\n"                                                  /* 30 */
        "<process name=\"w\" count=\"2\">\n"                            /* 31 */
        "<open fifo=\"f\" mode=\"write\"/>\n"                           /* 32 */
        "<write fifo=\"f\">a</write>\n"                                 /* 33 */
        "<write file=\"out\">b</write>\n"                               /* 34 */
        "<close fifo=\"f\"/><attach shm=\"m\"/>\n"                      /* 35 */
        "<store cell=\"y\" value=\"5\"/>\n"                             /* 36 */
        "<add cell=\"y\"/>\n"                                           /* 37 */
        "<add cell=\"y\" value=\"-3\"/>\n"                              /* 38 */
        "<repeat times=\"2\"><read fifo=\"g\" bytes=\"1\"/></repeat>\n" /* 39 */
        "</process>\n"                                                  /* 40 */
        "<process name=\"r\">\n"                                        /* 41 */
        "<open fifo=\"f\" mode=\"read\"/>\n"                            /* 42 */
        "<read fifo=\"f\" until=\"eof\"/>\n"                            /* 43 */
        "<read pipe=\"p\" bytes=\"65536\"/>\n"                          /* 44 */
        "<read file=\"out\"/>\n"                                        /* 45 */
        "<close file=\"out\"/>\n"                                       /* 46 */
        "<exec stdout=\"p\">true</exec>\n"                              /* 47 */
        "</process>\n"                                                  /* 48 */
        "<expect>\n"                                                    /* 49 */
        "<cell name=\"y\" value=\"3\" when=\"sometimes\"/>\n"           /* 50 */
        "<cell name=\"z\" value=\"-1\"/>\n"                             /* 51 */
        "</expect>\n"                                                   /* 52 */
        "</scenario>\n";

/* Pipes, FIFOs, regions and their cells are objects in document order. */
static void
test_scenario_ipc_objects(void **state)
{
	struct lk_scenario *sc = parse_ok(ipc);
	const struct lk_sc_object *o = sc->objects;

	(void)state;
	assert_int_equal(sc->nobjects, 9);
	assert_int_equal(o[0].kind, LK_OBJ_PIPE);
	assert_string_equal(o[0].name, "p");
	assert_int_equal(o[0].line, 2);
	assert_int_equal(o[1].kind, LK_OBJ_FIFO);
	assert_string_equal(o[1].u.file.path, "f.fifo");
	assert_int_equal(o[2].kind, LK_OBJ_SHM);
	assert_string_equal(o[2].name, "m");
	assert_int_equal(o[2].u.shm.kind, LK_SHM_SYSV);
	assert_int_equal(o[2].u.shm.ncells, 2);
	assert_int_equal(o[2].line, 4);
	assert_int_equal(o[3].kind, LK_OBJ_CELL);
	assert_string_equal(o[3].name, "x");
	assert_int_equal(o[3].line, 5);
	assert_int_equal(o[3].u.cell.shm, 2);
	assert_int_equal(o[3].u.cell.slot, 0);
	assert_true(o[3].u.cell.value == INT64_MIN);
	assert_int_equal(o[4].kind, LK_OBJ_CELL);
	assert_string_equal(o[4].name, "y");
	assert_int_equal(o[4].u.cell.shm, 2);
	assert_int_equal(o[4].u.cell.slot, 1);
	assert_true(o[4].u.cell.value == 0);
	assert_int_equal(o[5].kind, LK_OBJ_FILE);
	assert_string_equal(o[5].u.file.path, "out");
	assert_int_equal(o[6].kind, LK_OBJ_FIFO);
	assert_string_equal(o[6].u.file.path, "g");
	assert_int_equal(o[7].kind, LK_OBJ_SHM);
	assert_int_equal(o[7].u.shm.kind, LK_SHM_POSIX);
	assert_int_equal(o[7].u.shm.ncells, 1);
	assert_int_equal(o[8].kind, LK_OBJ_CELL);
	assert_int_equal(o[8].u.cell.shm, 7);
	assert_int_equal(o[8].u.cell.slot, 0);
	assert_true(o[8].u.cell.value == INT64_MAX);
	assert_int_equal(lk_scenario_find_object(sc, "z"), 8);
	lk_scenario_free(sc);
}

/* Spawns and waits name processes (forward too) by first index and count. */
static void
test_scenario_ipc_spawn(void **state)
{
	struct lk_scenario *sc = parse_ok(ipc);
	const struct lk_sc_action *a;
	static const int spawned[5] = {0, 1, 1, 1, 0};
	size_t i;

	(void)state;
	assert_int_equal(sc->nprocs, 5);
	assert_string_equal(sc->procs[2].name, "w.1");
	assert_string_equal(sc->procs[3].name, "w.2");
	for (i = 0; i < 5; i++)
		assert_int_equal(sc->procs[i].spawned, spawned[i]);
	a = sc->procs[0].actions;
	assert_int_equal(sc->procs[0].nactions, 12);
	assert_int_equal(a[0].kind, LK_ACT_SPAWN);
	assert_int_equal(a[0].line, 14);
	assert_int_equal(a[0].proc, 1);
	assert_int_equal(a[0].nproc, 1);
	assert_null(a[0].text);
	assert_int_equal(a[0].obj, -1);
	assert_int_equal(a[1].kind, LK_ACT_SPAWN);
	assert_int_equal(a[1].proc, 2);
	assert_int_equal(a[1].nproc, 2);
	assert_int_equal(a[5].kind, LK_ACT_WAITPID);
	assert_int_equal(a[5].line, 19);
	assert_int_equal(a[5].proc, 1);
	assert_int_equal(a[5].nproc, 1);
	assert_null(a[5].text);
	assert_int_equal(a[6].kind, LK_ACT_WAITPID);
	assert_int_equal(a[6].proc, 2);
	assert_int_equal(a[6].nproc, 2);
	/* Actions without a process keep -1. */
	assert_int_equal(a[2].proc, -1);
	assert_int_equal(sc->procs[4].actions[0].proc, -1);
	lk_scenario_free(sc);
}

/* Pipe and FIFO actions: objects, ends, bytes, until_eof, texts. */
static void
test_scenario_ipc_io(void **state)
{
	struct lk_scenario *sc = parse_ok(ipc);
	const struct lk_sc_action *a = sc->procs[0].actions, *b;

	(void)state;
	assert_int_equal(a[2].kind, LK_ACT_CLOSE);
	assert_int_equal(a[2].obj, 0);
	assert_int_equal(a[2].end, LK_END_READ);
	assert_int_equal(a[3].kind, LK_ACT_WRITE);
	assert_int_equal(a[3].obj, 0);
	assert_string_equal(a[3].text, "hi\n");
	assert_int_equal(a[4].kind, LK_ACT_CLOSE);
	assert_int_equal(a[4].end, LK_END_WRITE);

	/* Both instances of w, with every field copied. */
	for (size_t k = 2; k <= 3; k++) {
		b = sc->procs[k].actions;
		assert_int_equal(sc->procs[k].nactions, 9);
		assert_int_equal(b[0].kind, LK_ACT_OPEN);
		assert_int_equal(b[0].obj, 1);
		assert_int_equal(b[0].end, LK_END_WRITE);
		assert_int_equal(b[1].kind, LK_ACT_WRITE);
		assert_int_equal(b[1].obj, 1);
		assert_string_equal(b[1].text, "a");
		assert_int_equal(b[2].obj, 5);
		assert_int_equal(b[3].kind, LK_ACT_CLOSE);
		assert_int_equal(b[3].obj, 1);
		assert_int_equal(b[3].end, LK_END_NONE);
		assert_int_equal(b[8].kind, LK_ACT_REPEAT);
		assert_int_equal(b[8].body[0].kind, LK_ACT_READ);
		assert_int_equal(b[8].body[0].obj, 6);
		assert_int_equal(b[8].body[0].bytes, 1);
		assert_int_equal(b[8].body[0].until_eof, 0);
		assert_int_equal(b[8].body[0].line, 39);
	}
	assert_ptr_not_equal(sc->procs[2].actions[8].body,
	                     sc->procs[3].actions[8].body);

	b = sc->procs[4].actions;
	assert_int_equal(b[0].kind, LK_ACT_OPEN);
	assert_int_equal(b[0].end, LK_END_READ);
	assert_int_equal(b[1].kind, LK_ACT_READ);
	assert_int_equal(b[1].obj, 1);
	assert_int_equal(b[1].bytes, LK_READ_DEFAULT);
	assert_int_equal(b[1].until_eof, 1);
	assert_int_equal(b[2].obj, 0);
	assert_int_equal(b[2].bytes, 65536);
	assert_int_equal(b[2].until_eof, 0);
	assert_int_equal(b[3].kind, LK_ACT_READ);
	assert_int_equal(b[3].obj, 5);
	assert_int_equal(b[3].bytes, 512);
	assert_int_equal(b[4].kind, LK_ACT_CLOSE);
	assert_int_equal(b[4].obj, 5);
	assert_int_equal(b[4].end, LK_END_NONE);
	lk_scenario_free(sc);
}

/* <exec>: the command line verbatim, stdin and stdout with their ends. */
static void
test_scenario_ipc_exec(void **state)
{
	struct lk_scenario *sc = parse_ok(ipc);
	const struct lk_sc_action *a;

	(void)state;
	a = &sc->procs[1].actions[1];
	assert_int_equal(a->kind, LK_ACT_EXEC);
	assert_int_equal(a->line, 29);
	assert_string_equal(a->text, "wc\t -l\n");
	assert_int_equal(a->in, 0);
	assert_int_equal(a->in_end, LK_END_READ);
	assert_int_equal(a->out, 5);
	assert_int_equal(a->out_end, LK_END_NONE);
	assert_int_equal(a->obj, -1);
	a = &sc->procs[4].actions[5];
	assert_int_equal(a->kind, LK_ACT_EXEC);
	assert_string_equal(a->text, "true");
	assert_int_equal(a->in, -1);
	assert_int_equal(a->in_end, LK_END_NONE);
	assert_int_equal(a->out, 0);
	assert_int_equal(a->out_end, LK_END_WRITE);
	/* Other actions have no stdin or stdout. */
	assert_int_equal(sc->procs[1].actions[0].in, -1);
	assert_int_equal(sc->procs[1].actions[0].out, -1);
	lk_scenario_free(sc);
}

/* Cells and regions: load, store, add (default 1), attach, detach, remove,
 * {cell} in <print>, and the cell expectation. */
static void
test_scenario_ipc_cells(void **state)
{
	struct lk_scenario *sc = parse_ok(ipc);
	const struct lk_sc_action *a = sc->procs[0].actions, *b;
	const struct lk_sc_expect *e = sc->expects;

	(void)state;
	assert_int_equal(a[7].kind, LK_ACT_ATTACH);
	assert_int_equal(a[7].obj, 2);
	assert_int_equal(a[8].kind, LK_ACT_LOAD);
	assert_int_equal(a[8].obj, 3);
	assert_int_equal(a[9].kind, LK_ACT_PRINT);
	assert_string_equal(a[9].text, "x={x} y={y} {not a name} {} {1x} {");
	assert_int_equal(a[10].kind, LK_ACT_DETACH);
	assert_int_equal(a[10].obj, 2);
	assert_int_equal(a[11].kind, LK_ACT_REMOVE);
	assert_int_equal(a[11].obj, 2);
	assert_int_equal(a[11].line, 25);

	b = sc->procs[3].actions;
	assert_int_equal(b[5].kind, LK_ACT_STORE);
	assert_int_equal(b[5].obj, 4);
	assert_true(b[5].value == 5);
	assert_int_equal(b[6].kind, LK_ACT_ADD);
	assert_int_equal(b[6].obj, 4);
	assert_true(b[6].value == 1);
	assert_int_equal(b[7].kind, LK_ACT_ADD);
	assert_true(b[7].value == -3);

	assert_int_equal(sc->nexpects, 2);
	assert_int_equal(e[0].kind, LK_EXPECT_CELL);
	assert_int_equal(e[0].when, LK_SOMETIMES);
	assert_int_equal(e[0].obj, 4);
	assert_true(e[0].value == 3);
	assert_int_equal(e[0].line, 50);
	assert_int_equal(e[1].kind, LK_EXPECT_CELL);
	assert_int_equal(e[1].when, LK_ALWAYS);
	assert_int_equal(e[1].obj, 8);
	assert_true(e[1].value == -1);
	lk_scenario_free(sc);
}

/* A process that spawns, which another spawns: a chain of three. */
static void
test_scenario_spawn_chain(void **state)
{
	struct lk_scenario *sc =
	        parse_ok("<scenario name=\"c\" version=\"1\">\n"
	                 "<process name=\"c\"><print>c</print></process>\n"
	                 "<process name=\"b\"><spawn process=\"c\"/>"
	                 "<waitpid process=\"c\"/></process>\n"
	                 "<process name=\"a\"><spawn process=\"b\"/>"
	                 "<repeat times=\"2\"><waitpid process=\"b\"/>"
	                 "</repeat></process>\n"
	                 "</scenario>\n");

	(void)state;
	assert_int_equal(sc->procs[0].spawned, 1);
	assert_int_equal(sc->procs[1].spawned, 1);
	assert_int_equal(sc->procs[2].spawned, 0);
	assert_int_equal(sc->procs[1].actions[0].proc, 0);
	assert_int_equal(sc->procs[1].actions[1].proc, 0);
	assert_int_equal(sc->procs[2].actions[0].proc, 1);
	assert_int_equal(sc->procs[2].actions[1].body[0].kind, LK_ACT_WAITPID);
	assert_int_equal(sc->procs[2].actions[1].body[0].proc, 1);
	assert_int_equal(sc->procs[2].actions[1].body[0].nproc, 1);
	assert_null(sc->procs[2].actions[1].body[0].text);
	lk_scenario_free(sc);
}

/* Cells count as declared objects; a region holds 1..64 of them. */
static void
test_scenario_cell_limits(void **state)
{
	size_t used = 0, size = 256 * 40;
	struct lk_scenario *sc;
	char *decls, *xml;
	int i;

	(void)state;
	decls = malloc(size);
	assert_non_null(decls);
	used += (size_t)snprintf(decls + used, size - used,
	                         "<shm name=\"m\">\n");
	for (i = 0; i < LK_MAX_CELLS; i++)
		used += (size_t)snprintf(decls + used, size - used,
		                         "<cell name=\"c%d\" value=\"%d\"/>\n",
		                         i, i);
	used += (size_t)snprintf(decls + used, size - used, "</shm>\n");
	xml = with_body(decls, "<attach shm=\"m\"/><store cell=\"c63\" "
	                       "value=\"1\"/>\n");
	sc = parse_ok(xml);
	assert_int_equal(sc->nobjects, 1 + LK_MAX_CELLS);
	assert_int_equal(sc->objects[0].u.shm.ncells, LK_MAX_CELLS);
	assert_int_equal(sc->objects[64].u.cell.slot, 63);
	assert_true(sc->objects[64].u.cell.value == 63);
	assert_int_equal(sc->procs[0].actions[1].obj, 64);
	lk_scenario_free(sc);
	free(xml);

	/* One cell more. */
	snprintf(decls + used - 7, size - used + 7,
	         "<cell name=\"c64\"/>\n</shm>\n");
	expect_body_error(decls, "<print>a</print>\n", 2,
	                  "shared memory region \"m\" has 65 cells, expected "
	                  "1..64");

	/* 191 semaphores and a region of one cell make 193 objects. */
	used = 0;
	for (i = 0; i < LK_MAX_DECLARED - 1; i++)
		used += (size_t)snprintf(decls + used, size - used,
		                         "<semaphore name=\"s%d\"/>\n", i);
	snprintf(decls + used, size - used,
	         "<shm name=\"m\">\n<cell name=\"x\"/>\n</shm>\n");
	expect_body_error(decls, "<print>a</print>\n", 2 + LK_MAX_DECLARED,
	                  "cell \"x\" is object number 193, expected at most "
	                  "192 objects");
	free(decls);
}

/* Cell, store, add and expectation values are signed 64-bit integers. */
static void
test_scenario_int64_values(void **state)
{
	static const char shm[] = "<shm name=\"m\"><cell name=\"x\"/></shm>\n";

	(void)state;
	expect_body_error("<shm name=\"m\">\n<cell name=\"x\" "
	                  "value=\"9223372036854775808\"/>\n</shm>\n",
	                  "<load cell=\"x\"/>\n", 3,
	                  "cell \"x\" has value 9223372036854775808, expected "
	                  "-9223372036854775808..9223372036854775807");
	expect_body_error("<shm name=\"m\">\n<cell name=\"x\" "
	                  "value=\"-9223372036854775809\"/>\n</shm>\n",
	                  "<load cell=\"x\"/>\n", 3,
	                  "cell \"x\" has value -9223372036854775809");
	expect_body_error("<shm name=\"m\">\n<cell name=\"x\" "
	                  "value=\"1e3\"/>\n</shm>\n",
	                  "<load cell=\"x\"/>\n", 3,
	                  "cell \"x\" has value \"1e3\", expected an integer "
	                  "-9223372036854775808..9223372036854775807");
	expect_body_error(
	        shm, "<store cell=\"x\" value=\"99999999999999999999\"/>\n", 4,
	        "<store cell=\"x\"> has value 99999999999999999999, "
	        "expected -9223372036854775808..");
	expect_body_error(shm, "<add cell=\"x\" value=\"\"/>\n", 4,
	                  "<add cell=\"x\"> has value \"\", expected an "
	                  "integer");
	expect_body_error(shm, "<store cell=\"x\"/>\n", 4,
	                  "element 'store': the attribute 'value' is required "
	                  "but missing");
	expect_error(
	        "<scenario name=\"t\" version=\"1\">\n"
	        "<shm name=\"m\"><cell name=\"x\"/></shm>\n"
	        "<process name=\"A\"><attach shm=\"m\"/><load cell=\"x\"/>"
	        "</process>\n"
	        "<expect><cell name=\"x\" value=\"--1\"/></expect>\n"
	        "</scenario>\n",
	        4, "<cell name=\"x\"> has value \"--1\", expected an integer");
}

/* Wrong kinds and undeclared names for the new objects. */
static void
test_scenario_ipc_refs(void **state)
{
	static const char decls[] =
	        "<semaphore name=\"s\"/>\n"
	        "<pipe name=\"p\"/>\n"
	        "<fifo name=\"f\"/>\n"
	        "<shm name=\"m\"><cell name=\"x\"/></shm>\n";

	(void)state;
	expect_body_error(decls, "<read pipe=\"f\"/>\n", 7,
	                  "<read> names \"f\", which is a FIFO, expected a "
	                  "pipe");
	expect_body_error(decls, "<write fifo=\"p\">a</write>\n", 7,
	                  "<write> names \"p\", which is a pipe, expected a "
	                  "FIFO");
	expect_body_error(decls, "<attach shm=\"x\"/>\n", 7,
	                  "<attach> names \"x\", which is a cell, expected a "
	                  "shared memory region");
	expect_body_error(decls, "<load cell=\"m\"/>\n", 7,
	                  "<load> names \"m\", which is a shared memory "
	                  "region, expected a cell");
	expect_body_error(decls, "<open fifo=\"q\" mode=\"read\"/>\n", 7,
	                  "<open> names FIFO \"q\", which is not declared "
	                  "(declared: f)");
	expect_body_error("", "<add cell=\"q\"/>\n", 3,
	                  "<add> names cell \"q\", which is not declared (no "
	                  "cell is declared)");
	expect_body_error(decls, "<close file=\"s\"/>\n", 7,
	                  "<close> names \"s\", which is a semaphore, expected "
	                  "a file");
	expect_body_error(decls, "<exec stdout=\"q\">true</exec>\n", 7,
	                  "<exec stdout=\"q\"> names \"q\", which is not "
	                  "declared (pipes and files: p)");
	expect_body_error(decls, "<exec stdin=\"f\">cat</exec>\n", 7,
	                  "<exec stdin=\"f\"> names a FIFO, expected a pipe or "
	                  "a file");
	expect_body_error(decls, "<print>{s}</print>\n", 7,
	                  "{s} in <print> names no cell (cells: x)");
	expect_body_error("", "<print>{y}</print>\n", 3,
	                  "{y} in <print> names no cell (no cell is "
	                  "declared)");
	expect_body_error(decls, "<open fifo=\"f\"/>\n", 7,
	                  "<open fifo=\"f\"> needs mode=\"read\" or "
	                  "mode=\"write\"");
	expect_body_error(decls, "<read pipe=\"p\" until=\"nl\"/>\n", 7,
	                  "attribute 'until': the value 'nl' is not an element "
	                  "of the set {'eof'}");
}

/* FIFO paths follow the file rules and share their namespace. */
static void
test_scenario_fifo_paths(void **state)
{
	(void)state;
	expect_body_error(
	        "<file name=\"a\" path=\"x\"/>\n<fifo name=\"x\"/>\n",
	        "<print>a</print>\n", 3,
	        "FIFO \"x\" has path \"x\", which file \"a\" on line 2 "
	        "already uses, expected a distinct path");
	expect_body_error(
	        "<fifo name=\"a\" path=\"x\"/>\n<file name=\"x\"/>\n",
	        "<print>a</print>\n", 3,
	        "file \"x\" has path \"x\", which FIFO \"a\" on line 2 "
	        "already uses");
	expect_body_error("<fifo name=\"f\" path=\"/tmp/f\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "FIFO \"f\" has path \"/tmp/f\", expected a relative "
	                  "path");
	expect_body_error("<pipe name=\"p\"/>\n<shm name=\"m\">"
	                  "<cell name=\"p\"/></shm>\n",
	                  "<print>a</print>\n", 3,
	                  "cell \"p\" reuses the name of the pipe declared on "
	                  "line 2");
}

/* Which of file=, pipe=, fifo= an action has; bytes=; end=. */
static void
test_scenario_io_attributes(void **state)
{
	static const char decls[] = "<pipe name=\"p\"/>\n<fifo name=\"f\"/>\n"
	                            "<file name=\"o\"/>\n";

	(void)state;
	expect_body_error(decls, "<write>x</write>\n", 6,
	                  "<write> needs exactly one of file=, pipe=, fifo= "
	                  "(it has none)");
	expect_body_error(
	        decls, "<write file=\"o\" pipe=\"p\" fifo=\"f\">x</write>\n", 6,
	        "<write> needs exactly one of file=, pipe=, fifo= "
	        "(it has file=, pipe= and fifo=)");
	expect_body_error(decls, "<read/>\n", 6,
	                  "<read> needs exactly one of pipe=, fifo=, file= (it "
	                  "has none)");
	expect_body_error(decls,
	                  "<close pipe=\"p\" fifo=\"f\" end=\"read\"/>\n", 6,
	                  "<close> needs exactly one of pipe=, fifo=, file=");
	expect_body_error(decls, "<read pipe=\"p\" bytes=\"0\"/>\n", 6,
	                  "<read bytes=\"0\">: expected 1..65536");
	expect_body_error(decls, "<read pipe=\"p\" bytes=\"65537\"/>\n", 6,
	                  "<read bytes=\"65537\">: expected 1..65536");
	expect_body_error(decls, "<read pipe=\"p\" bytes=\"lots\"/>\n", 6,
	                  "<read bytes=\"lots\">: expected 1..65536");
	expect_body_error(decls, "<close pipe=\"p\"/>\n", 6,
	                  "<close pipe=\"p\"> has no end=, expected "
	                  "end=\"read\" or end=\"write\"");
	expect_body_error(decls, "<close fifo=\"f\" end=\"read\"/>\n", 6,
	                  "<close fifo=\"f\"> has end=\"read\", expected no "
	                  "end= (only a pipe has ends)");
	expect_body_error(decls, "<close file=\"o\" end=\"write\"/>\n", 6,
	                  "<close file=\"o\"> has end=\"write\", expected no "
	                  "end=");
}

/* <exec>: last, outside <repeat>, 1..32 words. */
static void
test_scenario_exec_rules(void **state)
{
	char words[256] = "", body[300], *xml;
	struct lk_scenario *sc;
	int i;

	(void)state;
	expect_body_error("", "<exec>true</exec>\n<print>after</print>\n", 3,
	                  "<exec> must be the last action of \"A\": nothing "
	                  "after it would run");
	expect_body_error("",
	                  "<repeat times=\"2\"><exec>true</exec></repeat>\n", 3,
	                  "<exec> must be the last action of \"A\": nothing "
	                  "after it would run (it is inside <repeat>)");
	expect_body_error("", "<exec> \n\t </exec>\n", 3,
	                  "<exec> has only blanks, expected a command line");
	expect_body_error("", "<exec></exec>\n", 3,
	                  "element 'exec': the value has a length of '0'");

	/* 32 words are fine, 33 are not. */
	for (i = 0; i < LK_EXEC_WORDS; i++)
		strcat(words, " w");
	snprintf(body, sizeof(body), "<exec>%s</exec>\n", words);
	xml = with_body("", body);
	sc = parse_ok(xml);
	assert_int_equal(sc->procs[0].actions[0].kind, LK_ACT_EXEC);
	lk_scenario_free(sc);
	free(xml);
	snprintf(body, sizeof(body), "<exec>%s x</exec>\n", words);
	expect_body_error("", body, 3,
	                  "<exec> has a command line of 33 words, expected at "
	                  "most 32");
}

/* The spawn tree: known names, one spawner each, everyone reachable. */
static void
test_scenario_spawn_rules(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><spawn process=\"C\"/></process>\n"
	             "<process name=\"B\" count=\"2\"><print>b</print>"
	             "</process>\n"
	             "</scenario>\n",
	             2,
	             "<spawn> names process \"C\", which is not declared "
	             "(declared: A, B)");
	expect_body_error("", "<spawn process=\"A\"/>\n", 3,
	                  "process \"A\" spawns itself, expected another "
	                  "process");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><spawn process=\"C\"/></process>\n"
	             "<process name=\"B\"><spawn process=\"C\"/></process>\n"
	             "<process name=\"C\"><print>c</print></process>\n"
	             "</scenario>\n",
	             3,
	             "process \"C\" is already spawned at line 2, expected one "
	             "<spawn> per process");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><print>a</print></process>\n"
	             "<process name=\"B\">\n"
	             "<repeat times=\"2\"><spawn process=\"A\"/></repeat>\n"
	             "</process>\n"
	             "</scenario>\n",
	             4,
	             "<spawn> is inside <repeat>, expected it directly in a "
	             "<process>");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\" count=\"2\"><spawn process=\"B\"/>"
	             "</process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "</scenario>\n",
	             2,
	             "<spawn> is in process \"A\", which has 2 instances, so "
	             "\"B\" would be spawned 2 times");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><spawn process=\"B\"/></process>\n"
	             "<process name=\"B\"><spawn process=\"A\"/></process>\n"
	             "</scenario>\n",
	             2,
	             "every process is spawned by another, so none would "
	             "start");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"M\"><print>m</print></process>\n"
	             "<process name=\"A\"><spawn process=\"B\"/></process>\n"
	             "<process name=\"B\"><spawn process=\"A\"/>"
	             "<spawn process=\"C\"/></process>\n"
	             "<process name=\"C\"><print>c</print></process>\n"
	             "</scenario>\n",
	             3,
	             "process \"A\" never starts: it is spawned only by "
	             "processes that never start (by \"B\" on line 4)");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><spawn process=\"B\"/></process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "<process name=\"C\"><waitpid process=\"B\"/></process>\n"
	             "</scenario>\n",
	             4,
	             "<waitpid> names \"B\", which C does not spawn (C "
	             "spawns no process)");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><spawn process=\"B\"/>"
	             "<waitpid process=\"C\"/></process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "<process name=\"C\"><print>c</print></process>\n"
	             "</scenario>\n",
	             2,
	             "<waitpid> names \"C\", which A does not spawn (A "
	             "spawns: B)");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\">\n"
	             "<waitpid process=\"B\"/>\n"
	             "<spawn process=\"B\"/>\n"
	             "</process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "</scenario>\n",
	             3,
	             "<waitpid> names \"B\", which A spawns only later, on "
	             "line 4, expected the <waitpid> after the <spawn>");
	expect_body_error("", "<waitpid process=\"Z\"/>\n", 3,
	                  "<waitpid> names process \"Z\", which is not "
	                  "declared (declared: A)");
	/* Spawn errors come before those of the expectations. */
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><spawn process=\"Z\"/>"
	             "<print>a</print></process>\n"
	             "<expect><before first=\"a\" then=\"b\"/></expect>\n"
	             "</scenario>\n",
	             2, "<spawn> names process \"Z\"");
}

/* Every signal and record lock element of the language, one per line. */
static const char sigs[] =
        "<scenario name=\"sig\" version=\"1\">\n"                       /* 1 */
        "<file name=\"log\" path=\"log.txt\"/>\n"                       /* 2 */
        "<semaphore name=\"s\"/>\n"                                     /* 3 */
        "<shm name=\"m\"><cell name=\"c\"/></shm>\n"                    /* 4 */
        "<process name=\"parent\">\n"                                   /* 5 */
        "<handler signal=\"TERM\">\n"                                   /* 6 */
        "<print>parent term</print>\n"                                  /* 7 */
        "</handler>\n"                                                  /* 8 */
        "<spawn process=\"child\"/>\n"                                  /* 9 */
        "<kill process=\"child\" signal=\"USR1\"/>\n"                   /* 10 */
        "<kill process=\"w\" signal=\"SIGHUP\"/>\n"                     /* 11 */
        "<kill process=\"parent\" signal=\"TERM\"/>\n"                  /* 12 */
        "<waitpid process=\"child\"/>\n"                                /* 13 */
        "</process>\n"                                                  /* 14 */
        "<process name=\"child\">\n"                                    /* 15 */
        "<handler signal=\"USR1\">\n"                                   /* 16 */
        "<print>got USR1</print>\n"                                     /* 17 */
        "<repeat times=\"2\"><kill process=\"parent\" "                 /* 18 */
        "signal=\"INT\"/></repeat>\n"                                   /* 18 */
        "</handler>\n"                                                  /* 19 */
        "<handler signal=\"SIGUSR2\"><pause/></handler>\n"              /* 20 */
        "<pause/>\n"                                                    /* 21 */
        "<lock file=\"log\" type=\"write\"/>\n"                         /* 22 */
        "<write file=\"log\">x</write>\n"                               /* 23 */
        "<unlock file=\"log\"/>\n"                                      /* 24 */
        "</process>\n"                                                  /* 25 */
        "<process name=\"w\" count=\"2\">\n"                            /* 26 */
        "<handler signal=\"HUP\"><attach shm=\"m\"/><load cell=\"c\"/>" /* 27 */
        "<print>w {c}</print></handler>\n"                              /* 27 */
        "<lock file=\"log\" type=\"read\" start=\"10\" "                /* 28 */
        "len=\"9223372036854775798\" wait=\"no\"/>\n"                   /* 28 */
        "<unlock file=\"log\" start=\" 9223372036854775807 \" "         /* 29 */
        "len=\"1\"/>\n"                                                 /* 29 */
        "<lock file=\"log\" type=\"write\" start=\"+5\" len=\"0\" "     /* 30 */
        "wait=\"yes\"/>\n"                                              /* 30 */
        "<pause/>\n"                                                    /* 31 */
        "</process>\n"                                                  /* 32 */
        "<expect>\n"                                                    /* 33 */
        "<before first=\"got USR1\" then=\"w {c}\" when=\"sometimes\"/>\n" /* 34
                                                                            */
        "</expect>\n" /* 35 */
        "</scenario>\n";

/* <kill>, <handler> and <pause>: signal numbers, processes, bodies. */
static void
test_scenario_signal_actions(void **state)
{
	struct lk_scenario *sc = parse_ok(sigs);
	const struct lk_sc_action *a, *h;

	(void)state;
	assert_int_equal(sc->nprocs, 4);
	a = sc->procs[0].actions;
	assert_int_equal(sc->procs[0].nactions, 6);
	assert_int_equal(a[0].kind, LK_ACT_HANDLER);
	assert_int_equal(a[0].line, 6);
	assert_true(a[0].value == SIGTERM);
	assert_int_equal(a[0].obj, -1);
	assert_int_equal(a[0].proc, -1);
	assert_int_equal(a[0].nbody, 1);
	assert_int_equal(a[0].body[0].kind, LK_ACT_PRINT);
	assert_string_equal(a[0].body[0].text, "parent term");
	assert_int_equal(a[0].body[0].line, 7);
	assert_int_equal(a[2].kind, LK_ACT_KILL);
	assert_int_equal(a[2].line, 10);
	assert_true(a[2].value == SIGUSR1);
	assert_int_equal(a[2].proc, 1);
	assert_int_equal(a[2].nproc, 1);
	assert_null(a[2].text);
	assert_int_equal(a[2].obj, -1);
	/* A counted process: every instance. */
	assert_int_equal(a[3].kind, LK_ACT_KILL);
	assert_true(a[3].value == SIGHUP);
	assert_int_equal(a[3].proc, 2);
	assert_int_equal(a[3].nproc, 2);
	/* The sender itself. */
	assert_int_equal(a[4].kind, LK_ACT_KILL);
	assert_true(a[4].value == SIGTERM);
	assert_int_equal(a[4].proc, 0);
	assert_int_equal(a[4].nproc, 1);
	/* kill is resolved like spawn: child is still spawned once. */
	assert_int_equal(sc->procs[1].spawned, 1);
	assert_int_equal(sc->procs[2].spawned, 0);

	a = sc->procs[1].actions;
	assert_int_equal(sc->procs[1].nactions, 6);
	assert_int_equal(a[0].kind, LK_ACT_HANDLER);
	assert_true(a[0].value == SIGUSR1);
	assert_int_equal(a[0].nbody, 2);
	h = a[0].body;
	assert_int_equal(h[0].kind, LK_ACT_PRINT);
	assert_int_equal(h[1].kind, LK_ACT_REPEAT);
	assert_int_equal(h[1].times, 2);
	/* A <kill> in a repeat in a handler is resolved too. */
	assert_int_equal(h[1].body[0].kind, LK_ACT_KILL);
	assert_true(h[1].body[0].value == SIGINT);
	assert_int_equal(h[1].body[0].proc, 0);
	assert_int_equal(h[1].body[0].nproc, 1);
	assert_null(h[1].body[0].text);
	assert_int_equal(a[1].kind, LK_ACT_HANDLER);
	assert_true(a[1].value == SIGUSR2);
	assert_int_equal(a[1].line, 20);
	assert_int_equal(a[1].nbody, 1);
	assert_int_equal(a[1].body[0].kind, LK_ACT_PAUSE);
	assert_int_equal(a[2].kind, LK_ACT_PAUSE);
	assert_int_equal(a[2].line, 21);
	assert_int_equal(a[2].obj, -1);
	assert_null(a[2].body);
	lk_scenario_free(sc);
}

/* <lock> and <unlock>: the file, type, range and wait, defaults too. */
static void
test_scenario_lock_actions(void **state)
{
	struct lk_scenario *sc = parse_ok(sigs);
	const struct lk_sc_action *a = sc->procs[1].actions, *b;
	size_t k;

	(void)state;
	assert_int_equal(a[3].kind, LK_ACT_LOCK);
	assert_int_equal(a[3].line, 22);
	assert_int_equal(a[3].obj, 0);
	assert_int_equal(a[3].end, LK_END_WRITE);
	assert_true(a[3].start == 0);
	assert_true(a[3].len == 0);
	assert_int_equal(a[3].nowait, 0);
	assert_int_equal(a[5].kind, LK_ACT_UNLOCK);
	assert_int_equal(a[5].obj, 0);
	assert_int_equal(a[5].end, LK_END_NONE);
	assert_true(a[5].start == 0);
	assert_true(a[5].len == 0);
	assert_int_equal(a[5].nowait, 0);

	/* Both instances of w, every field and the handler body copied. */
	for (k = 2; k <= 3; k++) {
		b = sc->procs[k].actions;
		assert_int_equal(sc->procs[k].nactions, 5);
		assert_int_equal(b[0].kind, LK_ACT_HANDLER);
		assert_true(b[0].value == SIGHUP);
		assert_int_equal(b[0].nbody, 3);
		assert_int_equal(b[0].body[0].kind, LK_ACT_ATTACH);
		assert_int_equal(b[0].body[0].obj, 2);
		assert_int_equal(b[0].body[1].kind, LK_ACT_LOAD);
		assert_int_equal(b[0].body[1].obj, 3);
		assert_string_equal(b[0].body[2].text, "w {c}");
		assert_int_equal(b[0].body[2].line, 27);
		assert_int_equal(b[1].kind, LK_ACT_LOCK);
		assert_int_equal(b[1].line, 28);
		assert_int_equal(b[1].obj, 0);
		assert_int_equal(b[1].end, LK_END_READ);
		assert_true(b[1].start == 10);
		assert_true(b[1].len == INT64_MAX - 9);
		assert_int_equal(b[1].nowait, 1);
		assert_int_equal(b[2].kind, LK_ACT_UNLOCK);
		assert_true(b[2].start == INT64_MAX);
		assert_true(b[2].len == 1);
		assert_int_equal(b[3].kind, LK_ACT_LOCK);
		assert_int_equal(b[3].end, LK_END_WRITE);
		assert_true(b[3].start == 5);
		assert_true(b[3].len == 0);
		assert_int_equal(b[3].nowait, 0);
		assert_int_equal(b[4].kind, LK_ACT_PAUSE);
	}
	assert_ptr_not_equal(sc->procs[2].actions[0].body,
	                     sc->procs[3].actions[0].body);
	assert_ptr_not_equal(sc->procs[2].actions[0].body[2].text,
	                     sc->procs[3].actions[0].body[2].text);
	/* The <before> texts are printed only inside handlers. */
	assert_int_equal(sc->nexpects, 1);
	assert_string_equal(sc->expects[0].first, "got USR1");
	assert_string_equal(sc->expects[0].then, "w {c}");
	lk_scenario_free(sc);
}

/* Each accepted signal name, with and without SIG, gives its number. */
static void
test_scenario_signal_names(void **state)
{
	static const struct {
		const char *name;
		int number;
	} names[] = {
	        {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},
	        {"USR1", SIGUSR1}, {"USR2", SIGUSR2},   {"ALRM", SIGALRM},
	        {"TERM", SIGTERM}, {"WINCH", SIGWINCH},
	};
	struct lk_scenario *sc;
	char body[256], *xml;
	size_t i;
	int sig;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (sig = 0; sig < 2; sig++) {
			snprintf(body, sizeof(body),
			         "<handler signal=\"%s%s\"><print>h</print>"
			         "</handler>\n"
			         "<kill process=\"A\" signal=\"%s%s\"/>\n",
			         sig ? "SIG" : "", names[i].name,
			         sig ? "" : "SIG", names[i].name);
			xml = with_body("", body);
			sc = parse_ok(xml);
			free(xml);
			assert_true(sc->procs[0].actions[0].value ==
			            names[i].number);
			assert_true(sc->procs[0].actions[1].value ==
			            names[i].number);
			lk_scenario_free(sc);
		}
	}
}

/* Unknown signals and processes, and where handlers may be. */
static void
test_scenario_signal_rules(void **state)
{
	static const char h[] = "<handler signal=\"USR1\"><print>h</print>"
	                        "</handler>\n";
	char body[512];

	(void)state;
	expect_body_error("", "<kill process=\"A\" signal=\"USR3\"/>\n", 3,
	                  "<kill> has signal=\"USR3\", expected one of HUP, "
	                  "INT, QUIT, USR1, USR2, ALRM, TERM, WINCH (with or "
	                  "without SIG)");
	expect_body_error("", "<kill process=\"A\" signal=\"usr1\"/>\n", 3,
	                  "<kill> has signal=\"usr1\", expected one of");
	expect_body_error("", "<kill process=\"A\" signal=\"9\"/>\n", 3,
	                  "<kill> has signal=\"9\"");
	expect_body_error("", "<kill process=\"A\" signal=\"SIG\"/>\n", 3,
	                  "<kill> has signal=\"SIG\"");
	expect_body_error("", "<kill process=\"A\" signal=\"SIGKILL\"/>\n", 3,
	                  "<kill> has signal=\"SIGKILL\"");
	expect_body_error("",
	                  "<handler signal=\"\"><print>h</print></handler>\n"
	                  "<pause/>\n",
	                  3, "<handler> has signal=\"\", expected one of");
	expect_body_error("", "<kill process=\"B\" signal=\"INT\"/>\n", 3,
	                  "<kill> names process \"B\", which is not declared "
	                  "(declared: A)");
	expect_body_error("", "<kill process=\"A\"/>\n", 3,
	                  "element 'kill': the attribute 'signal' is "
	                  "required but missing");
	/* Handlers first, outside <repeat>, one per signal. */
	snprintf(body, sizeof(body), "<pause/>\n%s", h);
	expect_body_error("", body, 4,
	                  "<handler> must come before the first action of "
	                  "\"A\": it is installed when the process starts (it "
	                  "follows the action on line 3)");
	snprintf(body, sizeof(body), "<repeat times=\"2\">\n%s</repeat>\n", h);
	expect_body_error("", body, 4,
	                  "<handler> must come before the first action of "
	                  "\"A\": it is installed when the process starts (it "
	                  "is inside <repeat>)");
	snprintf(body, sizeof(body),
	         "%s<handler signal=\"INT\"><pause/></handler>\n"
	         "<handler signal=\"SIGUSR1\"><pause/></handler>\n<pause/>\n",
	         h);
	expect_body_error("", body, 5,
	                  "process \"A\" has a second <handler> for SIGUSR1, "
	                  "expected one per signal (the first is on line 3)");
	/* What a handler may not hold, at any depth in it. */
	snprintf(body, sizeof(body),
	         "<handler signal=\"INT\">\n%s</handler>\n<pause/>\n", h);
	expect_body_error("", body, 4,
	                  "<handler> is inside the <handler signal=\"INT\"> of "
	                  "line 3, expected no <handler>, <spawn>, <exec> or "
	                  "<waitpid> in a handler");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\">\n"
	             "<handler signal=\"USR1\">\n"
	             "<repeat times=\"2\"><spawn process=\"B\"/></repeat>\n"
	             "</handler>\n<pause/>\n</process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "</scenario>\n",
	             4,
	             "<spawn> is inside the <handler signal=\"USR1\"> of line "
	             "3");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\">\n"
	             "<handler signal=\"USR1\"><waitpid process=\"B\"/>"
	             "</handler>\n"
	             "<spawn process=\"B\"/>\n</process>\n"
	             "<process name=\"B\"><print>b</print></process>\n"
	             "</scenario>\n",
	             3, "<waitpid> is inside the <handler signal=\"USR1\">");
	expect_body_error("",
	                  "<handler signal=\"TERM\"><exec>true</exec>"
	                  "</handler>\n<pause/>\n",
	                  3, "<exec> is inside the <handler signal=\"TERM\">");
	/* Nothing but handlers: the process would end at once. */
	snprintf(body, sizeof(body),
	         "%s<handler signal=\"INT\"><pause/></handler>\n", h);
	expect_body_error("", body, 2,
	                  "process \"A\" has only handlers: it would end at "
	                  "once, expected at least one action after them");
	/* Texts and cells inside handlers are checked like the others. */
	expect_body_error("",
	                  "<handler signal=\"INT\"><print>{z}</print>"
	                  "</handler>\n<pause/>\n",
	                  3,
	                  "{z} in <print> names no cell (no cell is "
	                  "declared)");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<process name=\"A\"><handler signal=\"INT\"><print>a"
	             "</print></handler><pause/></process>\n"
	             "<expect><before first=\"a\" then=\"b\"/></expect>\n"
	             "</scenario>\n",
	             3, "<before then=\"b\">: no <print> prints \"b\"");
	expect_body_error("", "<pause sem=\"s\"/>\n", 3,
	                  "element 'pause', attribute 'sem': the attribute "
	                  "'sem' is not allowed");
}

/* Lock ranges, types, files: what <lock> and <unlock> accept. */
static void
test_scenario_lock_rules(void **state)
{
	static const char f[] = "<file name=\"f\"/>\n";

	(void)state;
	expect_body_error(f, "<lock file=\"f\"/>\n", 4,
	                  "element 'lock': the attribute 'type' is required "
	                  "but missing");
	expect_body_error(f, "<lock file=\"f\" type=\"exclusive\"/>\n", 4,
	                  "'exclusive' is not an element of the set");
	expect_body_error(f,
	                  "<lock file=\"f\" type=\"read\" wait=\"maybe\"/>\n",
	                  4, "'maybe' is not an element of the set");
	expect_body_error(f, "<unlock file=\"f\" type=\"read\"/>\n", 4,
	                  "element 'unlock', attribute 'type': the attribute "
	                  "'type' is not allowed");
	expect_body_error("<semaphore name=\"s\"/>\n",
	                  "<lock sem=\"s\" type=\"read\"/>\n", 4,
	                  "element 'lock'");
	expect_body_error("<semaphore name=\"s\"/>\n",
	                  "<lock file=\"s\" type=\"read\"/>\n", 4,
	                  "<lock> names \"s\", which is a semaphore, expected "
	                  "a file");
	expect_body_error("<pipe name=\"p\"/>\n", "<unlock file=\"p\"/>\n", 4,
	                  "<unlock> names \"p\", which is a pipe, expected a "
	                  "file");
	expect_body_error(f, "<lock file=\"g\" type=\"read\"/>\n", 4,
	                  "<lock> names file \"g\", which is not declared "
	                  "(declared: f)");
	expect_body_error(f, "<lock file=\"f\" type=\"read\" start=\"-1\"/>\n",
	                  4,
	                  "<lock file=\"f\"> has start=-1, expected "
	                  "0..9223372036854775807");
	expect_body_error(f, "<unlock file=\"f\" len=\"-0x1\"/>\n", 4,
	                  "<unlock file=\"f\"> has len=\"-0x1\", expected an "
	                  "integer 0..9223372036854775807");
	expect_body_error(f,
	                  "<lock file=\"f\" type=\"write\" "
	                  "len=\"9223372036854775808\"/>\n",
	                  4,
	                  "<lock file=\"f\"> has len=9223372036854775808, "
	                  "expected 0..9223372036854775807");
	expect_body_error(f,
	                  "<unlock file=\"f\" "
	                  "start=\"-9223372036854775809\"/>\n",
	                  4,
	                  "<unlock file=\"f\"> has start=-9223372036854775809");
	expect_body_error(f, "<lock file=\"f\" type=\"read\" start=\"\"/>\n", 4,
	                  "has start=\"\", expected an integer");
	expect_body_error(f,
	                  "<lock file=\"f\" type=\"read\" start=\"10\" "
	                  "len=\"9223372036854775799\"/>\n",
	                  4,
	                  "<lock file=\"f\"> has start=10 and "
	                  "len=9223372036854775799, which end past the "
	                  "largest offset, expected len at most "
	                  "9223372036854775798 (or 0: to the end of the "
	                  "file)");
	expect_body_error(f,
	                  "<unlock file=\"f\" start=\"9223372036854775807\" "
	                  "len=\"2\"/>\n",
	                  4, "expected len at most 1 (or 0");
}

/* Read "<!-- expect: LINE: SUBSTRING -->" from line 2 or 3 of path. */
static int
read_expect(const char *path, int *line, char *sub, size_t size)
{
	char buf[512], *p, *end;
	FILE *f;
	int n, rc = -1;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	for (n = 1; n <= 3 && fgets(buf, sizeof(buf), f) != NULL; n++) {
		if (n < 2 || (p = strstr(buf, "<!-- expect: ")) == NULL)
			continue;
		*line = (int)strtol(p + 13, &p, 10);
		if (strncmp(p, ": ", 2) != 0 ||
		    (end = strstr(p, " -->")) == NULL)
			break;
		snprintf(sub, size, "%.*s", (int)(end - p - 2), p + 2);
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

/* Every file in tests/bad fails where and how its comment says. */
/* A SysV semaphore set and a semop: values, the operations as text,
 * SEM_UNDO, and the set's waits reaching counted copies. */
static void
test_scenario_semset(void **state)
{
	struct lk_scenario *sc = parse_ok(
	        "<scenario name=\"p\" version=\"1\">\n"
	        "  <semset name=\"forks\" values=\"1 0 2\"/>\n"
	        "  <process name=\"P\" count=\"2\">\n"
	        "    <semop set=\"forks\" undo=\"yes\">\n"
	        "      <op sem=\"0\" add=\"-1\"/><op sem=\"2\" add=\"0\"/>\n"
	        "    </semop>\n"
	        "    <semop set=\"forks\"><op sem=\"1\" add=\"3\"/></semop>\n"
	        "  </process>\n"
	        "</scenario>\n");
	const struct lk_sc_object *o = &sc->objects[0];

	(void)state;
	assert_int_equal(o->kind, LK_OBJ_SEMSET);
	assert_int_equal(o->u.semset.n, 3);
	assert_int_equal(o->u.semset.values[0], 1);
	assert_int_equal(o->u.semset.values[1], 0);
	assert_int_equal(o->u.semset.values[2], 2);
	for (size_t k = 0; k < 2; k++) {
		const struct lk_sc_action *a = sc->procs[k].actions;

		assert_int_equal(sc->procs[k].nactions, 2);
		assert_int_equal(a[0].kind, LK_ACT_SEMOP);
		assert_int_equal(a[0].obj, 0);
		assert_int_equal(a[0].undo, 1);
		assert_string_equal(a[0].text, "0:-1 2:0");
		assert_int_equal(a[1].undo, 0);
		assert_string_equal(a[1].text, "1:3");
	}
	lk_scenario_free(sc);
}

/* Sockets: the object (kind, domain, path), the actions with their
 * socket, connection index, backlog, bytes and echo, and a spawned child
 * using the connection its spawner made. */
static void
test_scenario_sockets(void **state)
{
	struct lk_scenario *sc = parse_ok(
	        "<scenario name=\"s\" version=\"1\">\n"
	        "  <socket name=\"svc\" kind=\"stream\" domain=\"unix\"/>\n"
	        "  <socket name=\"other\" path=\"o.sock\"/>\n"
	        "  <process name=\"server\">\n"
	        "    <listen socket=\"svc\" backlog=\"3\"/>\n"
	        "    <accept socket=\"svc\" as=\"conn\"/>\n"
	        "    <spawn process=\"handler\"/>\n"
	        "    <close conn=\"conn\"/>\n"
	        "    <close socket=\"svc\"/>\n"
	        "  </process>\n"
	        "  <process name=\"handler\">\n"
	        "    <recv conn=\"conn\" bytes=\"9\" echo=\"yes\"/>\n"
	        "    <shutdown conn=\"conn\"/>\n"
	        "  </process>\n"
	        "  <process name=\"client\">\n"
	        "    <connect socket=\"svc\" as=\"c\"/>\n"
	        "    <send conn=\"c\">hi&#10;</send>\n"
	        "    <recv conn=\"c\" until=\"eof\"/>\n"
	        "  </process>\n"
	        "</scenario>\n");
	const struct lk_sc_action *a = sc->procs[0].actions;
	const struct lk_sc_action *h = sc->procs[1].actions;
	const struct lk_sc_action *c = sc->procs[2].actions;

	(void)state;
	assert_int_equal(sc->nobjects, 2);
	assert_int_equal(sc->objects[0].kind, LK_OBJ_SOCKET);
	assert_string_equal(sc->objects[0].u.file.path, "svc");
	assert_string_equal(sc->objects[1].u.file.path, "o.sock");
	assert_int_equal(sc->nconns, 2);
	assert_string_equal(sc->conns[0], "conn");
	assert_string_equal(sc->conns[1], "c");
	assert_int_equal(a[0].kind, LK_ACT_LISTEN);
	assert_int_equal(a[0].obj, 0);
	assert_int_equal(a[0].value, 3);
	assert_int_equal(a[1].kind, LK_ACT_ACCEPT);
	assert_int_equal(a[1].conn, 0);
	assert_int_equal(a[3].kind, LK_ACT_CLOSE);
	assert_int_equal(a[3].conn, 0);
	assert_int_equal(a[3].obj, -1);
	assert_int_equal(a[4].kind, LK_ACT_CLOSE);
	assert_int_equal(a[4].conn, -1);
	assert_int_equal(a[4].obj, 0);
	assert_int_equal(h[0].kind, LK_ACT_RECV);
	assert_int_equal(h[0].bytes, 9);
	assert_int_equal(h[0].echo, 1);
	assert_int_equal(h[1].kind, LK_ACT_SHUTDOWN);
	assert_int_equal(c[0].kind, LK_ACT_CONNECT);
	assert_int_equal(c[0].conn, 1);
	assert_string_equal(c[0].text, "c");
	assert_int_equal(c[1].kind, LK_ACT_SEND);
	assert_string_equal(c[1].text, "hi\n");
	assert_int_equal(c[2].bytes, LK_READ_DEFAULT);
	assert_int_equal(c[2].until_eof, 1);
	assert_int_equal(c[2].echo, 0);
	lk_scenario_free(sc);
}

/* A scenario of one socket "s" and processes procs (line 3 on). */
static char *
with_socket(const char *procs)
{
	char *xml;

	if (asprintf(&xml,
	             "<scenario name=\"t\" version=\"1\">\n"
	             "<socket name=\"s\"/>\n%s</scenario>\n",
	             procs) < 0)
		fail();
	return xml;
}

/* Like expect_error on with_socket(procs). */
static void
expect_socket_error(const char *procs, int line, const char *sub)
{
	char *xml = with_socket(procs);

	expect_error(xml, line, sub);
	free(xml);
}

/* What check refuses about sockets, each with its line. */
static void
test_scenario_socket_errors(void **state)
{
	(void)state;
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<socket name=\"s\" kind=\"dgram\"/>\n"
	             "<process name=\"A\"><print>x</print></process>\n"
	             "</scenario>\n",
	             2, "kind=\"dgram\", expected kind=\"stream\"");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<socket name=\"s\" domain=\"inet\"/>\n"
	             "<process name=\"A\"><print>x</print></process>\n"
	             "</scenario>\n",
	             2, "domain=\"inet\", expected domain=\"unix\"");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<file name=\"f\" path=\"x\"/>\n"
	             "<socket name=\"s\" path=\"x\"/>\n"
	             "<process name=\"A\"><print>x</print></process>\n"
	             "</scenario>\n",
	             3, "which file \"f\" on line 2 already uses");
	expect_socket_error("<process name=\"A\">\n"
	                    "<listen socket=\"t\"/>\n</process>\n",
	                    4,
	                    "names socket \"t\", which is not declared "
	                    "(declared: s)");
	expect_socket_error(
	        "<process name=\"A\">\n"
	        "<listen socket=\"s\" backlog=\"0\"/>\n</process>\n",
	        4, "backlog=\"0\">: expected 1..4096");
	expect_socket_error(
	        "<process name=\"A\">\n<listen socket=\"s\"/>\n"
	        "<accept socket=\"s\" as=\"c\"/>\n"
	        "<recv conn=\"c\" bytes=\"70000\"/>\n</process>\n",
	        6, "<recv conn=\"c\" bytes=\"70000\">: expected 1..65536");
	/* A connection used where the process has not made it. */
	expect_socket_error("<process name=\"A\">\n"
	                    "<send conn=\"c\">x</send>\n</process>\n",
	                    4,
	                    "<send conn=\"c\"> in process \"A\" uses "
	                    "connection \"c\", which the process has not "
	                    "made there");
	/* Made by another process, not inherited. */
	expect_socket_error("<process name=\"A\">\n"
	                    "<connect socket=\"s\" as=\"c\"/>\n</process>\n"
	                    "<process name=\"B\">\n"
	                    "<recv conn=\"c\"/>\n</process>\n",
	                    7, "<recv conn=\"c\"> in process \"B\"");
	/* Used after its close, and in the second pass of a repeat. */
	expect_socket_error("<process name=\"A\">\n"
	                    "<connect socket=\"s\" as=\"c\"/>\n"
	                    "<close conn=\"c\"/>\n"
	                    "<shutdown conn=\"c\"/>\n</process>\n",
	                    6, "<shutdown conn=\"c\">");
	expect_socket_error("<process name=\"A\">\n"
	                    "<connect socket=\"s\" as=\"c\"/>\n"
	                    "<repeat times=\"2\">\n<send conn=\"c\">x</send>\n"
	                    "<close conn=\"c\"/>\n</repeat>\n</process>\n",
	                    6, "<send conn=\"c\">");
	/* An accept where the process does not listen. */
	expect_socket_error("<process name=\"A\">\n"
	                    "<accept socket=\"s\" as=\"c\"/>\n</process>\n",
	                    4,
	                    "<accept socket=\"s\"> in process \"A\" "
	                    "accepts on a socket the process does not "
	                    "listen on there");
	expect_socket_error("<process name=\"A\">\n"
	                    "<close socket=\"s\" end=\"read\"/>\n</process>\n",
	                    4, "expected no end=");
	expect_socket_error("<process name=\"A\">\n"
	                    "<close socket=\"s\" conn=\"c\"/>\n</process>\n",
	                    4, "<close> needs exactly one of");
	/* Schema: as= is required. */
	expect_socket_error("<process name=\"A\">\n"
	                    "<connect socket=\"s\"/>\n</process>\n",
	                    4, "as");
}

static void
test_scenario_bad_corpus(void **state)
{
	char path[1024], sub[512], at[32];
	struct lk_scenario *sc;
	struct dirent *d;
	struct lk_err err;
	int line = 0, n = 0;
	size_t len;
	DIR *dir;

	(void)state;
	dir = opendir(LK_TEST_BAD_DIR);
	if (dir == NULL)
		fail_msg("cannot open %s", LK_TEST_BAD_DIR);
	while ((d = readdir(dir)) != NULL) {
		len = strlen(d->d_name);
		if (len < 4 || strcmp(d->d_name + len - 4, ".xml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", LK_TEST_BAD_DIR,
		         d->d_name);
		if (read_expect(path, &line, sub, sizeof(sub)) < 0)
			fail_msg("%s: no <!-- expect: LINE: TEXT --> comment",
			         path);
		sc = NULL;
		if (lk_scenario_load(path, &sc, &err) == 0) {
			lk_scenario_free(sc);
			fail_msg("%s: loaded, expected an error", path);
		}
		snprintf(at, sizeof(at), ":%d:", line);
		if (err.status != LK_EXIT_USAGE ||
		    strstr(err.msg, at) == NULL || strstr(err.msg, sub) == NULL)
			fail_msg("%s: got \"%s\", expected \"%s\" and \"%s\"",
			         path, err.msg, at, sub);
		n++;
	}
	closedir(dir);
	assert_true(n >= 85);
}

/* Run every scenario test; the exit status is the number of failures. */
/* A cell is used where its region is attached: after <attach>, through
 * <repeat>s, in a spawned child from its spawner; not before, not after
 * <detach> (the second time round a loop included), not in a child
 * spawned before the attach. Handlers are not judged. */
static void
test_scenario_attach_static(void **state)
{
	static const char *const ok[] = {
	        "<attach shm=\"m\"/><load cell=\"x\"/><detach shm=\"m\"/>\n",
	        "<repeat times=\"3\"><attach shm=\"m\"/><add cell=\"x\"/>"
	        "<detach shm=\"m\"/></repeat>\n",
	        "<attach shm=\"m\"/><repeat times=\"2\"><repeat times=\"2\">"
	        "<store cell=\"x\" value=\"1\"/></repeat></repeat>\n",
	        "<handler signal=\"USR1\"><load cell=\"x\"/></handler>\n"
	        "<print>x</print>\n",
	};
	const char decls[] = "<shm name=\"m\"><cell name=\"x\"/></shm>\n";
	const char *spawned =
	        "<scenario name=\"t\" version=\"1\">\n"
	        "<shm name=\"m\"><cell name=\"x\"/></shm>\n"
	        "<process name=\"P\"><attach shm=\"m\"/><spawn process=\"C\"/>"
	        "<waitpid process=\"C\"/></process>\n"
	        "<process name=\"C\"><add cell=\"x\"/></process>\n"
	        "</scenario>\n";

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		char *xml = with_body(decls, ok[i]);

		lk_scenario_free(parse_ok(xml));
		free(xml);
	}
	lk_scenario_free(parse_ok(spawned));
	expect_body_error(decls, "<print>a</print>\n<load cell=\"x\"/>\n", 5,
	                  "<load cell=\"x\"> in process \"A\" uses region "
	                  "\"m\", which the process has not attached there");
	expect_body_error(decls,
	                  "<attach shm=\"m\"/>\n<repeat times=\"2\">\n"
	                  "<repeat times=\"2\">\n<store cell=\"x\" "
	                  "value=\"2\"/>\n</repeat>\n<detach shm=\"m\"/>\n"
	                  "</repeat>\n",
	                  7, "<store cell=\"x\">");
	expect_error("<scenario name=\"t\" version=\"1\">\n"
	             "<shm name=\"m\"><cell name=\"x\"/></shm>\n"
	             "<process name=\"P\"><spawn process=\"C\"/>"
	             "<attach shm=\"m\"/><waitpid process=\"C\"/></process>\n"
	             "<process name=\"C\">\n<add cell=\"x\"/></process>\n"
	             "</scenario>\n",
	             5, "in process \"C\" uses region \"m\"");
	expect_body_error("<file name=\"out\" path=\"logs/out.txt\"/>\n",
	                  "<print>a</print>\n", 2,
	                  "file \"out\" has path \"logs/out.txt\", whose "
	                  "directory \"logs\" does not exist");
}

/* Threads: the objects, the <thread> bodies, start and join resolved to
 * the thread's number, lock/unlock/wait on a mutex and condition variable
 * with their test, signal, broadcast and barrier-wait. */
static void
test_scenario_threads(void **state)
{
	static const char xml[] =
	        "<scenario name=\"t\" version=\"1\">\n"
	        "  <shm name=\"r\"><cell name=\"count\"/></shm>\n"
	        "  <mutex name=\"m\"/>\n"
	        "  <condvar name=\"c\"/>\n"
	        "  <barrier name=\"b\" count=\"2\"/>\n"
	        "  <process name=\"P\">\n"
	        "    <thread name=\"w\">\n"
	        "      <lock mutex=\"m\"/>\n"
	        "      <wait cond=\"c\" mutex=\"m\" while=\"count &lt;= 1\"/>\n"
	        "      <unlock mutex=\"m\"/>\n"
	        "      <barrier-wait barrier=\"b\"/>\n"
	        "    </thread>\n"
	        "    <thread name=\"x\">\n"
	        "      <lock mutex=\"m\"/>\n"
	        "      <wait cond=\"c\" mutex=\"m\" if=\"count != -3\"/>\n"
	        "      <signal cond=\"c\"/>\n"
	        "      <broadcast cond=\"c\"/>\n"
	        "      <unlock mutex=\"m\"/>\n"
	        "    </thread>\n"
	        "    <attach shm=\"r\"/>\n"
	        "    <start thread=\"x\"/>\n"
	        "    <start thread=\"w\"/>\n"
	        "    <barrier-wait barrier=\"b\"/>\n"
	        "    <join thread=\"w\"/>\n"
	        "  </process>\n"
	        "</scenario>\n";
	struct lk_scenario *sc = parse_ok(xml);
	const struct lk_sc_action *w, *x, *a;
	int m = lk_scenario_find_object(sc, "m");
	int c = lk_scenario_find_object(sc, "c");
	int b = lk_scenario_find_object(sc, "b");
	int count = lk_scenario_find_object(sc, "count");

	(void)state;
	assert_int_equal(sc->objects[m].kind, LK_OBJ_MUTEX);
	assert_int_equal(sc->objects[c].kind, LK_OBJ_COND);
	assert_int_equal(sc->objects[b].kind, LK_OBJ_BARRIER);
	assert_int_equal(sc->objects[b].u.barrier.count, 2);
	assert_int_equal(sc->procs[0].nactions, 7);
	w = &sc->procs[0].actions[0];
	x = &sc->procs[0].actions[1];
	assert_int_equal(w->kind, LK_ACT_THREAD);
	assert_string_equal(w->text, "w");
	assert_int_equal(w->nbody, 4);
	assert_int_equal(w->body[0].kind, LK_ACT_LOCK);
	assert_true(w->body[0].sync);
	assert_int_equal(w->body[0].obj, m);
	a = &w->body[1];
	assert_int_equal(a->kind, LK_ACT_WAIT);
	assert_int_equal(a->obj, c);
	assert_int_equal(a->mutex, m);
	assert_int_equal(a->test, 1);
	assert_int_equal(a->cell, count);
	assert_int_equal(a->cmp, LK_CMP_LE);
	assert_int_equal(a->value, 1);
	assert_int_equal(w->body[3].kind, LK_ACT_BARRIER_WAIT);
	assert_int_equal(w->body[3].times, 2);
	a = &x->body[1];
	assert_int_equal(a->test, 2);
	assert_int_equal(a->cmp, LK_CMP_NE);
	assert_int_equal(a->value, -3);
	assert_int_equal(x->body[2].kind, LK_ACT_SIGNAL);
	assert_int_equal(x->body[3].kind, LK_ACT_BROADCAST);
	/* start x is thread 1, start w thread 0, join w thread 0 */
	assert_int_equal(sc->procs[0].actions[3].kind, LK_ACT_START);
	assert_int_equal(sc->procs[0].actions[3].value, 1);
	assert_int_equal(sc->procs[0].actions[4].value, 0);
	assert_int_equal(sc->procs[0].actions[6].kind, LK_ACT_JOIN);
	assert_int_equal(sc->procs[0].actions[6].value, 0);
	lk_scenario_free(sc);
}

/* Like expect_error on one process "A" around body, after decls. */
static void
expect_thread_error(const char *decls, const char *body, int line,
                    const char *sub)
{
	char *xml = with_body(decls, body);

	expect_error(xml, line, sub);
	free(xml);
}

/* What check refuses about threads, each with its line. */
static void
test_scenario_thread_errors(void **state)
{
	static const char mc[] = "<mutex name=\"m\"/>\n";

	(void)state;
	/* Declarations on line 2, <process> on 3: the body from line 4
	 * (from 3 without declarations). */
	expect_thread_error(mc, "<lock mutex=\"q\"/>\n", 4,
	                    "<lock> names mutex \"q\", which is not declared");
	expect_thread_error(mc, "<lock mutex=\"m\"/>\n<signal cond=\"m\"/>\n",
	                    5,
	                    "\"m\", which is a mutex, expected a condition "
	                    "variable");
	expect_thread_error(mc, "<unlock mutex=\"m\"/>\n", 4,
	                    "unlocks a mutex it does not hold there");
	expect_thread_error(mc,
	                    "<thread name=\"t\">\n<lock mutex=\"m\"/>\n"
	                    "</thread>\n<unlock mutex=\"m\"/>\n",
	                    7, "in process \"A\" unlocks a mutex");
	expect_thread_error(mc,
	                    "<thread name=\"t\">\n<unlock mutex=\"m\"/>\n"
	                    "</thread>\n",
	                    5, "in thread \"t\" of process \"A\"");
	expect_thread_error("<mutex name=\"m\"/><condvar name=\"c\"/>\n",
	                    "<wait cond=\"c\" mutex=\"m\"/>\n", 4,
	                    "waits without holding mutex \"m\"");
	expect_thread_error("<condvar name=\"c\"/>\n", "<wait cond=\"c\"/>\n",
	                    4, "cond= without mutex=");
	expect_thread_error(mc, "<lock mutex=\"m\" file=\"m\"/>\n", 4,
	                    "has both, expected exactly one of file=");
	expect_thread_error(mc, "<lock mutex=\"m\" type=\"read\"/>\n", 4,
	                    "expected mutex= alone");
	expect_thread_error("<file name=\"f\"/>\n", "<lock file=\"f\"/>\n", 4,
	                    "the attribute 'type' is required");
	expect_thread_error("<mutex name=\"m\"/><condvar name=\"c\"/>"
	                    "<shm name=\"r\"><cell name=\"n\"/></shm>\n",
	                    "<attach shm=\"r\"/>\n<lock mutex=\"m\"/>\n"
	                    "<wait cond=\"c\" mutex=\"m\" while=\"n =! 0\"/>\n",
	                    6, "while=\"n =! 0\" is not a test");
	expect_thread_error(
	        "<mutex name=\"m\"/><condvar name=\"c\"/>"
	        "<shm name=\"r\"><cell name=\"n\"/></shm>\n",
	        "<lock mutex=\"m\"/>\n"
	        "<wait cond=\"c\" mutex=\"m\" if=\"n == 0\"/>\n",
	        5,
	        "tests cell \"n\" of region \"r\", which the process has "
	        "not attached");
	expect_thread_error("", "<join thread=\"t\"/>\n", 3,
	                    "it declares no <thread>");
	expect_thread_error("",
	                    "<thread name=\"t\"><print>x</print></thread>\n"
	                    "<join thread=\"t\"/>\n",
	                    4, "joins a thread that is not started before it");
	expect_thread_error("",
	                    "<thread name=\"t\"><print>x</print></thread>\n"
	                    "<start thread=\"t\"/>\n<start thread=\"t\"/>\n",
	                    5, "already started on line 4");
	expect_thread_error("",
	                    "<thread name=\"t\"><print>x</print></thread>\n"
	                    "<repeat times=\"2\"><start thread=\"t\"/>"
	                    "</repeat>\n",
	                    4, "is inside a <repeat>");
	expect_thread_error("",
	                    "<thread name=\"t\"><print>x</print></thread>\n"
	                    "<thread name=\"t\"><print>y</print></thread>\n",
	                    4, "reuses the name of the thread of line 3");
	expect_thread_error("",
	                    "<thread name=\"t\">\n<start thread=\"t\"/>\n"
	                    "</thread>\n",
	                    4, "expected no <handler>, <spawn>, <exec>");
	expect_thread_error("",
	                    "<repeat times=\"2\">\n<thread name=\"t\">"
	                    "<print>x</print></thread>\n</repeat>\n",
	                    4, "is not directly in its <process name=\"A\">");
	expect_thread_error("<barrier name=\"b\" count=\"0\"/>\n",
	                    "<print>x</print>\n", 2,
	                    "count=\"0\", expected an integer from 1 to 64");
	expect_thread_error("<mutex name=\"m\"/><condvar name=\"m\"/>\n",
	                    "<print>x</print>\n", 2,
	                    "condition variable \"m\" reuses the name of the "
	                    "mutex");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_scenario_rendezvous),
	        cmocka_unit_test(test_scenario_defaults),
	        cmocka_unit_test(test_scenario_actions),
	        cmocka_unit_test(test_scenario_count_expansion),
	        cmocka_unit_test(test_scenario_nested_repeat),
	        cmocka_unit_test(test_scenario_repeat_depth),
	        cmocka_unit_test(test_scenario_expectations),
	        cmocka_unit_test(test_scenario_find_object),
	        cmocka_unit_test(test_scenario_limits_accepted),
	        cmocka_unit_test(test_scenario_durations),
	        cmocka_unit_test(test_scenario_bad_sleep),
	        cmocka_unit_test(test_scenario_not_well_formed),
	        cmocka_unit_test(test_scenario_unknown_element),
	        cmocka_unit_test(test_scenario_unknown_attribute),
	        cmocka_unit_test(test_scenario_missing_attribute),
	        cmocka_unit_test(test_scenario_wrong_version),
	        cmocka_unit_test(test_scenario_bad_names),
	        cmocka_unit_test(test_scenario_element_order),
	        cmocka_unit_test(test_scenario_undeclared_objects),
	        cmocka_unit_test(test_scenario_duplicate_process),
	        cmocka_unit_test(test_scenario_duplicate_object),
	        cmocka_unit_test(test_scenario_bad_paths),
	        cmocka_unit_test(test_scenario_sem_value_range),
	        cmocka_unit_test(test_scenario_repeat_times),
	        cmocka_unit_test(test_scenario_empty_process),
	        cmocka_unit_test(test_scenario_contents_undeclared),
	        cmocka_unit_test(test_scenario_bad_regex),
	        cmocka_unit_test(test_scenario_regex_dialect),
	        cmocka_unit_test(test_scenario_regex_limits),
	        cmocka_unit_test(test_scenario_xml_caps),
	        cmocka_unit_test(test_scenario_escape),
	        cmocka_unit_test(test_scenario_before_texts),
	        cmocka_unit_test(test_scenario_process_count),
	        cmocka_unit_test(test_scenario_doctype),
	        cmocka_unit_test(test_scenario_empty_file),
	        cmocka_unit_test(test_scenario_first_error_only),
	        cmocka_unit_test(test_scenario_quiet),
	        cmocka_unit_test(test_scenario_null_err_and_reparse),
	        cmocka_unit_test(test_scenario_load_missing),
	        cmocka_unit_test(test_scenario_load_file),
	        cmocka_unit_test(test_scenario_ipc_objects),
	        cmocka_unit_test(test_scenario_ipc_spawn),
	        cmocka_unit_test(test_scenario_ipc_io),
	        cmocka_unit_test(test_scenario_ipc_exec),
	        cmocka_unit_test(test_scenario_ipc_cells),
	        cmocka_unit_test(test_scenario_spawn_chain),
	        cmocka_unit_test(test_scenario_cell_limits),
	        cmocka_unit_test(test_scenario_int64_values),
	        cmocka_unit_test(test_scenario_ipc_refs),
	        cmocka_unit_test(test_scenario_fifo_paths),
	        cmocka_unit_test(test_scenario_io_attributes),
	        cmocka_unit_test(test_scenario_exec_rules),
	        cmocka_unit_test(test_scenario_spawn_rules),
	        cmocka_unit_test(test_scenario_signal_actions),
	        cmocka_unit_test(test_scenario_lock_actions),
	        cmocka_unit_test(test_scenario_signal_names),
	        cmocka_unit_test(test_scenario_signal_rules),
	        cmocka_unit_test(test_scenario_lock_rules),
	        cmocka_unit_test(test_scenario_semset),
	        cmocka_unit_test(test_scenario_sockets),
	        cmocka_unit_test(test_scenario_socket_errors),
	        cmocka_unit_test(test_scenario_threads),
	        cmocka_unit_test(test_scenario_thread_errors),
	        cmocka_unit_test(test_scenario_bad_corpus),
	        cmocka_unit_test(test_scenario_attach_static),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
