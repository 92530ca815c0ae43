/*
 * The regexes of a scenario (<output matches>, <contents matches>): the
 * POSIX extended dialect users write, matched by PCRE2 under limits, so
 * no regex and no output can make a run take minutes or gigabytes.
 */
#ifndef LK_SCENARIO_REGEX_H
#define LK_SCENARIO_REGEX_H

#include <stddef.h>

/* At most this many backtracking steps, KiB of heap, and nested
 * backtracking frames for one match (pcre2_set_*_limit). */
#define LK_REGEX_MATCH_LIMIT 10000000u
#define LK_REGEX_HEAP_KIB    65536u
#define LK_REGEX_DEPTH_LIMIT 100000u

/* Groups nested at most this deep (a regex has at most 512 characters). */
#define LK_REGEX_NEST 512

struct lk_regex;

/*
 * Compile re, a POSIX extended regular expression (with GNU's \w \s \b
 * \< \> escapes), for matching by PCRE2. Back-references (\1..\9) are
 * refused: their cost has no bound. Returns the compiled regex, or NULL
 * with why (size bytes) saying what is wrong, in lower case.
 */
struct lk_regex *lk_regex_compile(const char *re, char *why, size_t size);

/*
 * Does the regex match somewhere in the len bytes at s? 1 yes, 0 no, -1
 * when a limit was hit or memory ran out, with why filled: never a
 * silent "no".
 */
int lk_regex_match(const struct lk_regex *rx, const char *s, size_t len,
                   char *why, size_t size);

/* Free a compiled regex; NULL is allowed. */
void lk_regex_free(struct lk_regex *rx);

/*
 * Translate the POSIX extended regex re into PCRE2 syntax with the same
 * meaning (for lk_regex_compile; exposed for tests). The malloc'd
 * translation, or NULL with why filled.
 */
char *lk_regex_translate(const char *re, char *why, size_t size);

#endif
