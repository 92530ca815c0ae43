/*
 * What the viz tests that run the real lockstep share: the directory of
 * a test group, running a command with its output into a file, paths in
 * the directory, a file read whole, and Graphviz attributes as strings.
 */
#ifndef LK_TESTS_VIZCLI_H
#define LK_TESTS_VIZCLI_H

/* The directory of the group: each test file defines it with its own
 * mkdtemp template ("/tmp/lk-viz-NAME-XXXXXX"); vt_setup makes it. */
extern char vt_dir[];

/* Run argv (NULL-terminated) from LK_SOURCE_DIR with stdout and stderr
 * into the file out, made anew; its exit status (128: killed). */
int vt_run(char *const argv[], const char *out);

/* vt_dir/name, in one of four static buffers (a few live at once). */
const char *vt_in_dir(const char *name);

/* The file at path, whole, NUL-terminated (the test fails without it). */
char *vt_slurp(const char *path);

/* The width and height in the header of the PNG at path (the test
 * fails when it is not one). */
void vt_png_size(const char *path, unsigned *w, unsigned *h);

/* Attribute k of a graph, node or edge, "" when it has none. */
const char *vt_attr(void *obj, const char *k);

/* cmocka group setup and teardown: make vt_dir; remove it and all in it. */
int vt_setup(void **state);
int vt_teardown(void **state);

#endif
