/*
 * Exports of a trace read by lk_viz_read (viz.h) to other viewers'
 * formats: Chrome trace-event JSON for Perfetto (ui.perfetto.dev) and
 * chrome://tracing, and a ShiViz log (docs/exports.md). Library code: it
 * never prints and never exits; errors come back as -1 with a struct
 * lk_err that names the file, or the step.
 */
#ifndef LOCKSTEP_VIZ_EXPORT_H
#define LOCKSTEP_VIZ_EXPORT_H

#include "viz.h"

/*
 * The synthetic time axis of the Perfetto export, in ns: an event is at
 * step * LK_EXPORT_STEP_NS + vt (never earlier than the event before it
 * plus LK_EXPORT_STEP_NS), and its slice lasts LK_EXPORT_SLICE_NS, so
 * the slices of one process never overlap even when vt is always 0.
 */
#define LK_EXPORT_STEP_NS  10000
#define LK_EXPORT_SLICE_NS 8000

/* The parser regular expression to paste into ShiViz for our logs. */
#define LK_EXPORT_SHIVIZ_REGEX "(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})"

/*
 * Write t to out_path as Chrome trace-event JSON: a track per process, a
 * slice per event, a "blocked on X" slice for each wait that blocked,
 * and a flow arrow per happens-before edge. 0, or -1 with err filled.
 */
int lk_export_perfetto(const struct lk_viz_trace *t, const char *out_path,
                       struct lk_err *err);

/*
 * Write t to out_path as a ShiViz log: per event a line "step N: label",
 * then a line "HOST {vector clock}". 0, or -1 with err filled (also when
 * the clocks break a rule ShiViz enforces).
 */
int lk_export_shiviz(const struct lk_viz_trace *t, const char *out_path,
                     struct lk_err *err);

#endif
