/*
 * The protocol's version rule (docs/architecture.md, "The protocol's
 * version"): the layout of the shared memory and of the zygote's messages
 * is summed up as a fingerprint of every size, offset and limit below, and
 * each LK_PROTO_VERSION has a row with the fingerprint of its layout. A
 * layout changed without a new version, or a new version without its row,
 * fails here with what to do. Rows are history: never edit one, add one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "common/protocol.h"
#include "common/zygote.h"

/* One row per version, oldest first. */
static const struct {
	unsigned version;
	uint64_t fingerprint;
} versions[] = {
        {7, 0x2a1e0d78c6048690ull},
        {8, 0x4c3b9c151dd82f40ull},  /* run -q: live, live_wake */
        {9, 0xf36ca8ccbdbc49bcull},  /* optable: payload union; readiness */
        {10, 0x59830515f1156eb0ull}, /* 1024 objects; objects_full */
        {11, 0x316f842ef789aedcull}, /* threads as lanes: lk_slot's
                                        lane fields, cond_ticket */
        {12, 0xd8770d46d6555695ull}, /* sockets: LK_OT_SOCK, send, recv,
                                        shutdown, connect, accept */
        {13, 0xb62b8449629a4a8bull}, /* rwlocks, barriers, spinlocks,
                                        pthread_once: LK_OT_RWLOCK .. */
        {14, 0x4e58ac8f4c61ef37ull}, /* --perturb: lk_decision bytes,
                                        perturb, div_bytes */
};

struct fact {
	const char *what;
	uint64_t value;
};

#define SIZE(T)                                                                \
	{                                                                      \
		"sizeof(struct " #T ")", sizeof(struct T)                      \
	}
#define FIELD(T, f)                                                            \
	{                                                                      \
		"struct " #T "." #f " at, size",                               \
		        ((uint64_t)offsetof(struct T, f) << 32) |              \
		                sizeof(((struct T *)0)->f)                     \
	}
#define VALUE(c)                                                               \
	{                                                                      \
#c, (uint64_t)(c)                                              \
	}

/* Everything two builds must agree on to share the memory. */
static const struct fact layout[] = {
        VALUE(LK_PROTO_MAGIC),
        VALUE(LK_ZY_MAGIC),
        VALUE(LK_MAX_PROCS),
        VALUE(LK_MAX_OBJECTS),
        VALUE(LK_NAME_MAX),
        VALUE(LK_PATH_MAX),
        VALUE(LK_DATA_MAX),
        VALUE(LK_MAX_DEPTH),
        VALUE(LK_MAX_PIPES),
        VALUE(LK_PIPE_FD),
        VALUE(LK_PCT_MAX_DEPTH),
        VALUE(LK_OP__COUNT),
        VALUE(LK_ACT_SEMOP),
        VALUE(LK_SLOT_EXEC),
        VALUE(LK_OT_NAME),
        VALUE(LK_DIV_OTHER_CHILD),
        VALUE(LK_RUN_DIVERGED),
        VALUE(LK_INSTR_END),

        SIZE(lk_strategy),
        FIELD(lk_strategy, kind),
        FIELD(lk_strategy, seed),
        FIELD(lk_strategy, rng),
        FIELD(lk_strategy, depth),
        FIELD(lk_strategy, change),
        FIELD(lk_strategy, prio),

        SIZE(lk_slot),
        FIELD(lk_slot, go),
        FIELD(lk_slot, sleeping),
        FIELD(lk_slot, state),
        FIELD(lk_slot, pid),
        FIELD(lk_slot, parent),
        FIELD(lk_slot, nforks),
        FIELD(lk_slot, pending_op),
        FIELD(lk_slot, act),
        FIELD(lk_slot, pending_obj),
        FIELD(lk_slot, blocked_on),
        FIELD(lk_slot, src_line),
        FIELD(lk_slot, wake_at),
        FIELD(lk_slot, wait_for),
        FIELD(lk_slot, reaped),
        FIELD(lk_slot, sigpending),
        FIELD(lk_slot, sigmask),
        FIELD(lk_slot, sigcaught),
        FIELD(lk_slot, semadj),
        FIELD(lk_slot, spawn_as),
        FIELD(lk_slot, alarm_at),
        FIELD(lk_slot, alarm_every),
        FIELD(lk_slot, died),
        FIELD(lk_slot, name),
        FIELD(lk_slot, sigignored),
        FIELD(lk_slot, stopped),
        FIELD(lk_slot, stopped_by),
        FIELD(lk_slot, reap),
        FIELD(lk_slot, wait_group),
        FIELD(lk_slot, pgid),
        FIELD(lk_slot, poll_objs),
        FIELD(lk_slot, entropy_used),

        SIZE(lk_object),
        FIELD(lk_object, type),
        FIELD(lk_object, decl),
        FIELD(lk_object, ino),
        FIELD(lk_object, off),
        FIELD(lk_object, name),
        FIELD(lk_object, path),
        FIELD(lk_object, value),
        FIELD(lk_object, has_value),
        FIELD(lk_object, fd),
        FIELD(lk_object, opens),
        FIELD(lk_object, region),
        FIELD(lk_object, slot),
        FIELD(lk_object, key),
        FIELD(lk_object, size),

        /* The event: its size and the fields every operation has (the
         * payload's members are the operation table's, common/ops.h). */
        SIZE(lk_event),
        FIELD(lk_event, proc),
        FIELD(lk_event, op),
        FIELD(lk_event, obj),
        FIELD(lk_event, u),
        VALUE(sizeof(union lk_payload)),
        FIELD(lk_event, vt),
        FIELD(lk_event, enabled),

        SIZE(lk_decision),
        FIELD(lk_decision, proc),
        FIELD(lk_decision, slot),
        FIELD(lk_decision, op),
        FIELD(lk_decision, obj),

        SIZE(lk_instr),
        FIELD(lk_instr, act),
        FIELD(lk_instr, obj),
        FIELD(lk_instr, line),
        FIELD(lk_instr, times),
        FIELD(lk_instr, jump),
        FIELD(lk_instr, text_off),
        FIELD(lk_instr, text_len),
        FIELD(lk_instr, ns),
        FIELD(lk_instr, value),
        FIELD(lk_instr, proc),
        FIELD(lk_instr, nproc),
        FIELD(lk_instr, end),
        FIELD(lk_instr, flags),
        FIELD(lk_instr, in),
        FIELD(lk_instr, out),
        FIELD(lk_instr, bytes),
        FIELD(lk_instr, start),
        FIELD(lk_instr, len),

        SIZE(lk_shared),
        FIELD(lk_shared, magic),
        FIELD(lk_shared, version),
        FIELD(lk_shared, size),
        FIELD(lk_shared, run_id),
        FIELD(lk_shared, interposer),
        FIELD(lk_shared, notify_fd),
        FIELD(lk_shared, controller),
        FIELD(lk_shared, state),
        FIELD(lk_shared, nready),
        FIELD(lk_shared, running),
        FIELD(lk_shared, nslots),
        FIELD(lk_shared, max_procs),
        FIELD(lk_shared, track_shm),
        FIELD(lk_shared, live),
        FIELD(lk_shared, live_wake),
        FIELD(lk_shared, spin_ns),
        FIELD(lk_shared, max_spinners),
        FIELD(lk_shared, spinners),
        FIELD(lk_shared, spin_misses),
        FIELD(lk_shared, spin_resume),
        FIELD(lk_shared, vt),
        FIELD(lk_shared, strategy),
        FIELD(lk_shared, last_enabled),
        FIELD(lk_shared, forced_off),
        FIELD(lk_shared, nforced),
        FIELD(lk_shared, strict),
        FIELD(lk_shared, div_step),
        FIELD(lk_shared, div_why),
        FIELD(lk_shared, nobjects),
        FIELD(lk_shared, objects),
        FIELD(lk_shared, slots),
        FIELD(lk_shared, nevents),
        FIELD(lk_shared, max_events),
        FIELD(lk_shared, events_off),
        FIELD(lk_shared, data_off),
        FIELD(lk_shared, data_cap),
        FIELD(lk_shared, data_used),
        FIELD(lk_shared, prog_off),
        FIELD(lk_shared, prog_start),
        FIELD(lk_shared, prog_end),
        FIELD(lk_shared, text_off),
        FIELD(lk_shared, text_len),
        FIELD(lk_shared, sems_off),
        FIELD(lk_shared, workdir),
        FIELD(lk_shared, cwd),
        FIELD(lk_shared, div_choices),
        FIELD(lk_shared, stdio_dev),
        FIELD(lk_shared, stdio_ino),
        FIELD(lk_shared, stdio_known),
        FIELD(lk_shared, sysv_list),
        FIELD(lk_shared, sysv_err),

        SIZE(lk_zygote_req),
        FIELD(lk_zygote_req, magic),
        FIELD(lk_zygote_req, slot),
        FIELD(lk_zygote_req, pgid),
        FIELD(lk_zygote_req, npipes),
        FIELD(lk_zygote_req, max_output),
        FIELD(lk_zygote_req, workdir),
        SIZE(lk_zygote_msg),
        FIELD(lk_zygote_msg, kind),
        FIELD(lk_zygote_msg, pid),
        FIELD(lk_zygote_msg, status),
};

#define NVERSIONS (sizeof(versions) / sizeof(versions[0]))

/* FNV-1a (64 bits) over the values of the layout, in order. */
static uint64_t
fingerprint(void)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		for (unsigned b = 0; b < 64; b += 8) {
			h ^= (layout[i].value >> b) & 0xff;
			h *= 0x100000001b3ull;
		}
	return h;
}

/* The layout, for the person who must compare two of them. */
static void
print_layout(void)
{
	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		fprintf(stderr, "  %s = %#llx\n", layout[i].what,
		        (unsigned long long)layout[i].value);
}

/* The version now has a row, and it is the last one. */
static void
test_protocol_version_has_row(void **state)
{
	unsigned last = versions[NVERSIONS - 1].version;

	(void)state;
	if (last != LK_PROTO_VERSION) {
		fprintf(stderr,
		        "LK_PROTO_VERSION is %u but the last row of versions[] "
		        "in tests/unit/test_protocol.c is %u: add the row "
		        "{%u, 0x%016llxull} (the layout now)\n",
		        LK_PROTO_VERSION, last, LK_PROTO_VERSION,
		        (unsigned long long)fingerprint());
		fail();
	}
}

/* The layout now is the one its version's row names. */
static void
test_protocol_layout_matches_version(void **state)
{
	uint64_t now = fingerprint();

	(void)state;
	for (size_t i = 0; i < NVERSIONS; i++) {
		if (versions[i].version != LK_PROTO_VERSION ||
		    versions[i].fingerprint == now)
			continue;
		print_layout();
		fprintf(stderr,
		        "the layout of the shared memory or of the zygote's "
		        "messages (above) is not the one of version %u's row "
		        "(fingerprint 0x%016llx now, 0x%016llx in the row): "
		        "bump LK_PROTO_VERSION to %u in "
		        "runner/common/protocol.h and add the row "
		        "{%u, 0x%016llxull} to versions[] in "
		        "tests/unit/test_protocol.c (never edit an old row)\n",
		        LK_PROTO_VERSION, (unsigned long long)now,
		        (unsigned long long)versions[i].fingerprint,
		        LK_PROTO_VERSION + 1, LK_PROTO_VERSION + 1,
		        (unsigned long long)now);
		fail();
	}
}

/* Rows are history: versions only grow. */
static void
test_protocol_rows_in_order(void **state)
{
	(void)state;
	for (size_t i = 1; i < NVERSIONS; i++)
		if (versions[i].version <= versions[i - 1].version) {
			fprintf(stderr,
			        "versions[] in tests/unit/test_protocol.c: row "
			        "%zu (version %u) does not come after version "
			        "%u: add rows at the end, never edit one\n",
			        i, versions[i].version,
			        versions[i - 1].version);
			fail();
		}
}

/* A process set holds every slot; an object set every object. */
static void
test_protocol_sets_hold_limits(void **state)
{
	lk_procset all = ~(lk_procset)0;
	lk_objset objs;

	(void)state;
	assert_true(LK_MAX_PROCS <= (int)(8 * sizeof(lk_procset)));
	assert_int_equal(__builtin_popcountll(all), LK_PROCSET_BITS);
	assert_true(8 * sizeof(objs) >= LK_MAX_OBJECTS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_protocol_version_has_row),
	        cmocka_unit_test(test_protocol_layout_matches_version),
	        cmocka_unit_test(test_protocol_rows_in_order),
	        cmocka_unit_test(test_protocol_sets_hold_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
