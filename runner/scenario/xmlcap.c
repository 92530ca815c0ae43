/*
 * Caps on a scenario's size, checked before libxml2 sees it: libxml2
 * 2.9 checks an element's attributes for duplicates pairwise, so a
 * 15 MB element with 1.9 M attributes kept `check` busy for minutes.
 * One linear pass over the bytes counts elements and the attributes of
 * each start tag; it knows just enough XML (comments, CDATA, processing
 * instructions, declarations, quoted values) not to count what is not a
 * tag. A file it misreads is still parsed, and judged, by libxml2.
 */
#include <string.h>

#include "check.h"

/* The end of the first needle at or after p in [p, end), or end. */
static const char *
skip_past(const char *p, const char *end, const char *needle)
{
	size_t n = strlen(needle);

	for (; p + n <= end; p++)
		if (memcmp(p, needle, n) == 0)
			return p + n;
	return end;
}

/* The number of newlines in [p, end). */
static long
newlines(const char *p, const char *end)
{
	long n = 0;

	for (; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	return n;
}

/* Check the caps of the scenario in buf (see check.h). */
int
lk__check_xml_caps(const char *buf, size_t len, const char *path,
                   struct lk_err *err)
{
	const char *p = buf, *end = buf + len, *q;
	unsigned long elements = 0;
	long line = 1;

	if (len > LK_XML_MAX_BYTES)
		return lk__sc_fail(
		        err, path, 1,
		        "the file has %zu bytes, more than the limit "
		        "of %d",
		        len, LK_XML_MAX_BYTES);
	while (p < end && (q = memchr(p, '<', (size_t)(end - p))) != NULL) {
		unsigned attrs = 0;
		long at;

		line += newlines(p, q);
		p = q;
		if (end - p >= 4 && memcmp(p, "<!--", 4) == 0)
			q = skip_past(p + 4, end, "-->");
		else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0)
			q = skip_past(p + 9, end, "]]>");
		else if (end - p >= 2 && p[1] == '?')
			q = skip_past(p + 2, end, "?>");
		else if (end - p >= 2 && (p[1] == '!' || p[1] == '/'))
			q = skip_past(p + 2, end, ">");
		else
			q = NULL;
		if (q != NULL) {
			line += newlines(p, q);
			p = q;
			continue;
		}
		/* A start tag: count it, then its '=' outside quotes. */
		at = line;
		if (++elements > LK_XML_MAX_ELEMENTS)
			return lk__sc_fail(
			        err, path, at,
			        "more than %d elements, the limit of "
			        "a scenario",
			        LK_XML_MAX_ELEMENTS);
		for (p++; p < end && *p != '>' && *p != '<'; p++) {
			if (*p == '"' || *p == '\'') {
				q = memchr(p + 1, *p, (size_t)(end - p - 1));
				q = q != NULL ? q : end - 1;
				line += newlines(p, q);
				p = q;
			} else if (*p == '\n') {
				line++;
			} else if (*p == '=' && ++attrs > LK_XML_MAX_ATTRS) {
				return lk__sc_fail(
				        err, path, at,
				        "an element with more than %d "
				        "attributes, the limit of one element",
				        LK_XML_MAX_ATTRS);
			}
		}
	}
	return 0;
}
