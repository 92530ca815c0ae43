/*
 * Scenario regexes: POSIX extended syntax, matched by PCRE2 with limits
 * (see regex.h). The translation keeps the POSIX meaning: '.' matches a
 * newline (DOTALL), '$' only the very end (DOLLAR_ENDONLY), a repetition
 * of a repetition ("a+*") repeats the group, never PCRE2's possessive or
 * lazy forms, '\' is literal in a bracket expression, and a '*', '+', '?'
 * with nothing before it is literal, so "(?" and "(*" never reach PCRE2
 * as its own extensions or option settings.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "regex.h"

struct lk_regex {
	pcre2_code *code;
};

/* A growing output string. */
struct out {
	char *buf;
	size_t len, cap;
	int nomem;
};

/* Append n bytes of s to o. */
static void
put(struct out *o, const char *s, size_t n)
{
	if (o->nomem)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *b = realloc(o->buf, cap);

		if (b == NULL) {
			o->nomem = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

/* Append the byte c, escaped when PCRE2 would read it as special. */
static void
put_literal(struct out *o, char c)
{
	char esc[2] = {'\\', c};

	if (isalnum((unsigned char)c) || (unsigned char)c >= 0x80 || c == ' ')
		put(o, &c, 1);
	else
		put(o, esc, 2);
}

/* Insert s at position at of o. */
static void
insert(struct out *o, size_t at, const char *s)
{
	size_t n = strlen(s), tail = o->len - at;

	put(o, s, n); /* grow */
	if (o->nomem)
		return;
	memmove(o->buf + at + n, o->buf + at, tail);
	memcpy(o->buf + at, s, n);
}

/*
 * Translate the bracket expression at p ("[...]") into o; the end of it,
 * or NULL with why filled. POSIX classes ([:digit:]) are PCRE2's too;
 * [=c=] and [.c.] of one character are that character.
 */
static const char *
bracket(const char *p, struct out *o, char *why, size_t size)
{
	const char *q = p + 1;

	put(o, "[", 1);
	if (*q == '^') {
		put(o, "^", 1);
		q++;
	}
	if (*q == ']') {
		put(o, "\\]", 2);
		q++;
	}
	for (; *q != '\0' && *q != ']'; q++) {
		if (*q == '[' && q[1] == ':') {
			const char *e = strstr(q + 2, ":]");

			if (e == NULL)
				break;
			put(o, q, (size_t)(e + 2 - q));
			q = e + 1;
		} else if (*q == '[' && (q[1] == '=' || q[1] == '.')) {
			char close[3] = {q[1], ']', '\0'};
			const char *e = strstr(q + 2, close);

			if (e == NULL)
				break;
			if (e != q + 3) {
				snprintf(why, size,
				         "the collating element %.*s is not "
				         "supported, expected a single "
				         "character",
				         (int)(e + 2 - q), q);
				return NULL;
			}
			put_literal(o, q[2]);
			q = e + 1;
		} else if (*q == '-') {
			put(o, "-", 1);
		} else {
			put_literal(o, *q);
		}
	}
	if (*q != ']') {
		snprintf(why, size, "unmatched [, [^, [:, [., or [=");
		return NULL;
	}
	put(o, "]", 1);
	return q + 1;
}

/* Is p a count ({m}, {m,}, {m,n}, {,n})? Its end in *end if so. */
static int
count_at(const char *p, const char **end)
{
	const char *q = p + 1;
	int digits = 0;

	while (isdigit((unsigned char)*q))
		q++, digits++;
	if (*q == ',') {
		q++;
		while (isdigit((unsigned char)*q))
			q++, digits++;
	}
	if (*q != '}' || digits == 0)
		return 0;
	*end = q + 1;
	return 1;
}

/* Translate re (see regex.h). */
char *
lk_regex_translate(const char *re, char *why, size_t size)
{
	struct out o = {NULL, 0, 0, 0};
	/* Where the last atom began in o, and whether it has a repetition
	 * already; groups push the start of their '('. */
	size_t atom = (size_t)-1, stack[LK_REGEX_NEST];
	int repeated = 0, depth = 0;
	const char *p = re, *end;

	put(&o, "", 0);
	while (*p != '\0') {
		if (*p == '*' || *p == '+' || *p == '?' ||
		    (*p == '{' && count_at(p, &end))) {
			size_t n = *p == '{' ? (size_t)(end - p) : 1;

			if (atom == (size_t)-1) {
				/* Nothing to repeat: a literal, as glibc. */
				atom = o.len;
				for (size_t i = 0; i < n; i++)
					put_literal(&o, p[i]);
				repeated = 0;
				p += n;
				continue;
			}
			if (repeated) {
				insert(&o, atom, "(?:");
				put(&o, ")", 1);
			}
			if (*p == '{' && p[1] == ',')
				put(&o, "{0", 2), p++, n--;
			put(&o, p, n);
			repeated = 1;
			p += n;
			continue;
		}
		repeated = 0;
		switch (*p) {
		case '(':
			if (depth == LK_REGEX_NEST) {
				snprintf(why, size,
				         "groups nested more than %d deep",
				         LK_REGEX_NEST);
				goto fail;
			}
			stack[depth++] = o.len;
			put(&o, "(", 1);
			atom = (size_t)-1;
			p++;
			break;
		case ')':
			if (depth == 0) {
				put(&o, "\\)", 2); /* a lone ) is literal */
				atom = o.len - 2;
			} else {
				put(&o, ")", 1);
				atom = stack[--depth];
			}
			p++;
			break;
		case '|':
			put(&o, "|", 1);
			atom = (size_t)-1;
			p++;
			break;
		case '^':
		case '$':
			put(&o, p, 1);
			atom = (size_t)-1;
			p++;
			break;
		case '.':
			atom = o.len;
			put(&o, ".", 1);
			p++;
			break;
		case '[':
			atom = o.len;
			if ((p = bracket(p, &o, why, size)) == NULL)
				goto fail;
			break;
		case '{':
			atom = o.len;
			put(&o, "\\{", 2);
			p++;
			break;
		case '\\':
			atom = o.len;
			if (p[1] >= '1' && p[1] <= '9') {
				snprintf(why, size,
				         "\\%c is a back-reference, which "
				         "lockstep does not match (its cost "
				         "has no bound)",
				         p[1]);
				goto fail;
			}
			if (p[1] == '\0') {
				snprintf(why, size, "trailing backslash (\\)");
				goto fail;
			}
			if (strchr("wWsSbB", p[1]) != NULL)
				put(&o, p, 2);
			else if (p[1] == '<')
				put(&o, "\\b(?=\\w)", 8);
			else if (p[1] == '>')
				put(&o, "\\b(?<=\\w)", 9);
			else if (p[1] == '`')
				put(&o, "\\A", 2);
			else if (p[1] == '\'')
				put(&o, "\\z", 2);
			else
				put_literal(&o, p[1]);
			p += 2;
			break;
		default:
			atom = o.len;
			put_literal(&o, *p);
			p++;
		}
	}
	if (depth > 0) {
		snprintf(why, size, "unmatched ( or \\(");
		goto fail;
	}
	if (o.nomem) {
		snprintf(why, size, "out of memory");
		goto fail;
	}
	return o.buf;
fail:
	free(o.buf);
	return NULL;
}

/* Compile re (see regex.h). */
struct lk_regex *
lk_regex_compile(const char *re, char *why, size_t size)
{
	char *pat = lk_regex_translate(re, why, size);
	struct lk_regex *rx;
	PCRE2_SIZE off;
	int ec;

	if (pat == NULL)
		return NULL;
	rx = calloc(1, sizeof(*rx));
	if (rx == NULL) {
		snprintf(why, size, "out of memory");
		free(pat);
		return NULL;
	}
	rx->code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
	                         PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY |
	                                 PCRE2_NEVER_UTF | PCRE2_NEVER_UCP |
	                                 PCRE2_NEVER_BACKSLASH_C,
	                         &ec, &off, NULL);
	free(pat);
	if (rx->code == NULL) {
		PCRE2_UCHAR msg[160];

		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(why, size, "%s", (char *)msg);
		free(rx);
		return NULL;
	}
	return rx;
}

/* Match (see regex.h). */
int
lk_regex_match(const struct lk_regex *rx, const char *s, size_t len, char *why,
               size_t size)
{
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_match_data *md =
	        pcre2_match_data_create_from_pattern(rx->code, NULL);
	int rc;

	if (mc == NULL || md == NULL) {
		snprintf(why, size, "out of memory");
		rc = -1;
		goto out;
	}
	pcre2_set_match_limit(mc, LK_REGEX_MATCH_LIMIT);
	pcre2_set_heap_limit(mc, LK_REGEX_HEAP_KIB);
	pcre2_set_depth_limit(mc, LK_REGEX_DEPTH_LIMIT);
	rc = pcre2_match(rx->code, (PCRE2_SPTR)(s != NULL ? s : ""),
	                 s != NULL ? len : 0, 0, 0, md, mc);
	if (rc >= 0) {
		rc = 1;
	} else if (rc == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else {
		const char *what =
		        rc == PCRE2_ERROR_MATCHLIMIT  ? "backtracking steps"
		        : rc == PCRE2_ERROR_HEAPLIMIT ? "KiB of memory"
		        : rc == PCRE2_ERROR_DEPTHLIMIT
		                ? "nested backtracking frames"
		                : NULL;
		unsigned long limit =
		        rc == PCRE2_ERROR_MATCHLIMIT  ? LK_REGEX_MATCH_LIMIT
		        : rc == PCRE2_ERROR_HEAPLIMIT ? LK_REGEX_HEAP_KIB
		                                      : LK_REGEX_DEPTH_LIMIT;

		if (what != NULL) {
			snprintf(why, size,
			         "matching %zu bytes needs more than %lu %s; "
			         "simplify the regex (nested repetitions such "
			         "as (a|a)* backtrack exponentially)",
			         len, limit, what);
		} else {
			PCRE2_UCHAR msg[160];

			pcre2_get_error_message(rc, msg, sizeof(msg));
			snprintf(why, size, "matching failed: %s", (char *)msg);
		}
		rc = -1;
	}
out:
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	return rc;
}

/* Free a compiled regex. */
void
lk_regex_free(struct lk_regex *rx)
{
	if (rx == NULL)
		return;
	pcre2_code_free(rx->code);
	free(rx);
}
