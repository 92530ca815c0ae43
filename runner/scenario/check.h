/*
 * Internal to runner/scenario: the cross-checks the schema cannot make,
 * called by scenario.c while it builds the model in document order, so the
 * first error reported is the first in the file (but for the spawn tree,
 * checked once every process is built, as processes may be named before
 * they are declared). Each check returns 0, or -1 with err filled as
 * "path:line: what was found, what was expected".
 */
#ifndef LK_SCENARIO_CHECK_H
#define LK_SCENARIO_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "lockstep/lockstep.h"
#include "scenario/scenario.h"

/* xmlcap.c: the size, element and attribute caps of a scenario file,
 * checked before libxml2 parses it (its cost grows faster than them). */
int lk__check_xml_caps(const char *buf, size_t len, const char *path,
                       struct lk_err *err);

/* check.c */
int lk__sc_fail(struct lk_err *err, const char *path, long line,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int lk__check_object(const struct lk_scenario *sc, enum lk_obj_kind kind,
                     const char *name, const char *fpath, long line,
                     struct lk_err *err);
int lk__check_sem_value(const struct lk_scenario *sc, const char *name,
                        const char *value, long line, unsigned *out,
                        struct lk_err *err);
int lk__check_process(const struct lk_scenario *sc, const char *name,
                      const char *count, long line, unsigned *n,
                      struct lk_err *err);
int lk__check_ref(const struct lk_scenario *sc, const char *elem,
                  const char *name, enum lk_obj_kind kind, long line, int *obj,
                  struct lk_err *err);
int lk__check_sleep(const struct lk_scenario *sc, const char *dur, long line,
                    uint64_t *ns, struct lk_err *err);
int lk__check_repeat(const struct lk_scenario *sc, const char *times, int depth,
                     long line, unsigned *out, struct lk_err *err);
int lk__check_regex(const struct lk_scenario *sc, const char *elem,
                    const char *regex, long line, struct lk_err *err);
int lk__check_printed(const struct lk_scenario *sc, const char *attr,
                      const char *text, long line, struct lk_err *err);
int lk__check_int64(const struct lk_scenario *sc, const char *subject,
                    const char *value, long line, long long *out,
                    struct lk_err *err);
int lk__check_cells(const struct lk_scenario *sc, const char *name,
                    size_t ncells, long line, struct lk_err *err);
int lk__check_bytes(const struct lk_scenario *sc, const char *bytes, long line,
                    unsigned *out, struct lk_err *err);
int lk__check_end(const struct lk_scenario *sc, enum lk_obj_kind kind,
                  const char *name, const char *end, long line,
                  enum lk_end *out, struct lk_err *err);
int lk__check_stdio(const struct lk_scenario *sc, const char *which,
                    const char *name, enum lk_end pipe_end, long line, int *obj,
                    enum lk_end *end, struct lk_err *err);
int lk__check_command(const struct lk_scenario *sc, const char *text, long line,
                      struct lk_err *err);
int lk__check_place(const struct lk_scenario *sc, const char *elem,
                    const char *pname, int depth, int last, long line,
                    struct lk_err *err);
int lk__check_print_cells(const struct lk_scenario *sc, const char *text,
                          long line, struct lk_err *err);
int lk__check_signal(const struct lk_scenario *sc, const char *elem,
                     const char *name, long line, long long *out,
                     struct lk_err *err);
int lk__check_handler(const struct lk_scenario *sc, const char *pname,
                      const struct lk_sc_action *prev, size_t nprev, int depth,
                      long long sig, long line, struct lk_err *err);
int lk__check_in_handler(const struct lk_scenario *sc, const char *elem,
                         const char *sig, int handler_line, long line,
                         struct lk_err *err);
int lk__check_not_only_handlers(const struct lk_scenario *sc, const char *pname,
                                const struct lk_sc_action *acts, size_t n,
                                long line, struct lk_err *err);
int lk__check_range(const struct lk_scenario *sc, const char *elem,
                    const char *name, const char *start, const char *len,
                    long line, long long *out_start, long long *out_len,
                    struct lk_err *err);
int lk__check_spawns(struct lk_scenario *sc, struct lk_err *err);

/* duration.c */
const char *lk__duration_problem(const char *s);

/* <semset values=>: the initial values; 0 or -1 with err. */
int lk__check_semset(const struct lk_scenario *sc, const char *name,
                     const char *text, long line, unsigned short *values,
                     unsigned *n, struct lk_err *err);

/* One <op sem= add=> of a <semop> on set obj; 0 or -1 with err. */
int lk__check_semop(const struct lk_scenario *sc, int obj, const char *num,
                    const char *add, long line, int *n, int *v,
                    struct lk_err *err);

/* use.c */
int lk__check_path_dir(const struct lk_scenario *sc, enum lk_obj_kind kind,
                       const char *name, const char *fpath, long line,
                       struct lk_err *err);
int lk__check_socket(const struct lk_scenario *sc, const char *name,
                     const char *kind, const char *domain, const char *path,
                     long line, struct lk_err *err);
int lk__check_backlog(const struct lk_scenario *sc, const char *sock,
                      const char *backlog, long line, long long *out,
                      struct lk_err *err);
int lk__check_recv_bytes(const struct lk_scenario *sc, const char *conn,
                         const char *bytes, long line, unsigned *out,
                         struct lk_err *err);
int lk__check_attached(const struct lk_scenario *sc, struct lk_err *err);

/* Threads (docs/scenarios.md, "Threads"). */
int lk__check_in_thread(const struct lk_scenario *sc, const char *elem,
                        const char *tname, int tline, long line,
                        struct lk_err *err);
int lk__check_thread_place(const struct lk_scenario *sc, const char *name,
                           const char *pname, int in_process, long line,
                           struct lk_err *err);
int lk__check_barrier_count(const struct lk_scenario *sc, const char *name,
                            const char *count, long line, unsigned *out,
                            struct lk_err *err);
int lk__check_lock_kind(const struct lk_scenario *sc, const char *elem,
                        const char *file, const char *mutex, const char *type,
                        int range, long line, struct lk_err *err);
int lk__check_wait_kind(const struct lk_scenario *sc, const char *sem,
                        const char *cond, const char *mutex, const char *w,
                        const char *f, long line, struct lk_err *err);
int lk__check_test(const struct lk_scenario *sc, const char *attr,
                   const char *test, long line, int *cell, enum lk_cmp *cmp,
                   long long *value, struct lk_err *err);
/* Resolve <start>/<join> to their threads, and check the order of
 * starts and joins and that unlocks and waits hold their mutex, where
 * the text makes it plain. */
int lk__check_threads(struct lk_scenario *sc, struct lk_err *err);

#endif
