/*
 * Scenario files: read, parsed by libxml2 (never a DTD, an entity or the
 * network), validated against the embedded schema, cross-checked by
 * check.c and turned into the plain structs of scenario.h. Only the first
 * error is reported, in the form "path:line: what was found, what was
 * expected"; libxml2 itself is never allowed to print.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#include "check.h"
#include "common/input.h"
#include "common/sha256.h"
#include "scenario/scenario.h"

/* Scenarios are small; anything bigger is a mistake (or /dev/zero). */
#define MAX_FILE_SIZE LK_XML_MAX_BYTES

/* libxml2 2.12 made the error passed to handlers const. */
#if LIBXML_VERSION >= 21200
#define XML_ERROR_CONST const
#else
#define XML_ERROR_CONST
#endif

/* One parse: where messages go; the first error wins. */
struct parse {
	const char *path;
	struct lk_err *err;
	int failed;
};

/* The compiled schema, kept for the next parse. */
static xmlSchemaPtr schema;

/* Fill err for an allocation failure; returns -1. */
static int
oom(struct lk_err *err)
{
	lk_err_set(err, LK_EXIT_INTERNAL, "out of memory");
	return -1;
}

/* Grammar rules named at the start of libxml2 parser messages. */
static const struct {
	const char *prefix, *words;
} rules[] = {
        {"AttValue: ", "attribute value"},
        {"EntityRef: ", "entity reference"},
        {"CharRef: ", "character reference"},
        {"StartTag: ", "start tag"},
        {"EndTag: ", "end tag"},
};

/*
 * Copy a libxml2 message into out in our style: one line, no final full
 * stop, no "[facet 'x'] " prefix, sentences joined by "; " and begun in
 * lower case. Quoted text ('...') is copied as is.
 */
static void
tidy(const char *in, char *out, size_t size)
{
	const char *first = in != NULL ? in : "unknown error", *p = first, *q;
	int quoted = 0, start = 1;
	size_t o = 0, i;

	/* Some parser messages start with the grammar rule that failed. */
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (strncmp(p, rules[i].prefix, strlen(rules[i].prefix)) == 0) {
			o = (size_t)snprintf(out, size, "%s: ", rules[i].words);
			p += strlen(rules[i].prefix);
			break;
		}
	}
	/* Others with the C function that failed: "xmlParseCharRef: ". */
	if (o == 0 && strncmp(p, "xml", 3) == 0 &&
	    (q = strchr(p, ':')) != NULL && q[1] == ' ' &&
	    memchr(p, ' ', (size_t)(q - p)) == NULL)
		p = q + 2;
	if (o >= size)
		o = size - 1;
	while (*p != '\0' && o + 1 < size) {
		if (!quoted && strncmp(p, "[facet '", 8) == 0 &&
		    (q = strstr(p, "'] ")) != NULL) {
			p = q + 3;
			continue;
		}
		/* A quote, unless it is the apostrophe of "couldn't". */
		if (*p == '\'' &&
		    !(p != first && isalpha((unsigned char)p[-1]) &&
		      isalpha((unsigned char)p[1])))
			quoted = !quoted;
		if (!quoted && p[0] == '.' && p[1] == ' ') {
			out[o++] = ';';
			p++;
			start = 1;
			continue;
		}
		if (!quoted && p[0] == ':' && p[1] == ' ') {
			out[o++] = *p++;
			start = 1;
			continue;
		}
		if (start && !quoted && *p >= 'A' && *p <= 'Z' && p[1] >= 'a' &&
		    p[1] <= 'z')
			out[o++] = (char)(*p - 'A' + 'a');
		else
			out[o++] = *p == '\n' || *p == '\t' ? ' ' : *p;
		if (*p != ' ')
			start = 0;
		p++;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '.'))
		o--;
	out[o] = '\0';
}

/* libxml2 error handler: keep the first error as "path:line: message". */
static void
on_xml_error(void *data, XML_ERROR_CONST xmlError *e)
{
	struct parse *ps = data;
	char msg[sizeof(ps->err->msg)];
	int line;

	if (ps->failed || e == NULL || e->level == XML_ERR_WARNING)
		return;
	ps->failed = 1;
	line = e->line > 0 ? e->line : 1;
	if (e->code == XML_ERR_DOCUMENT_EMPTY) {
		snprintf(msg, sizeof(msg),
		         "no root element found, expected "
		         "a <scenario> document");
	} else if (e->code == XML_ERR_TAG_NOT_FINISHED && e->str1 != NULL &&
	           e->int1 > 0) {
		/* Name the line of the open tag, not the end of the file. */
		line = e->int1;
		snprintf(msg, sizeof(msg),
		         "<%s> is never closed, expected </%s> before the "
		         "end of the file",
		         e->str1, e->str1);
	} else if (e->code == XML_ERR_GT_REQUIRED && e->str1 != NULL &&
	           e->int1 > 0) {
		line = e->int1;
		snprintf(msg, sizeof(msg),
		         "the start tag <%s is never finished, expected > or "
		         "/>",
		         e->str1);
	} else if (e->code == XML_ERR_TAG_NAME_MISMATCH && e->str1 != NULL &&
	           e->str2 != NULL && e->int1 > 0) {
		snprintf(msg, sizeof(msg),
		         "</%s> does not match <%s> on line %d, expected "
		         "</%s>",
		         e->str2, e->str1, e->int1, e->str1);
	} else {
		tidy(e->message, msg, sizeof(msg));
	}
	lk__sc_fail(ps->err, ps->path, line, "%s", msg);
}

/* Generic libxml2 error handler: say nothing (structured ones report). */
static void
on_generic_error(void *data, const char *fmt, ...)
{
	(void)data;
	(void)fmt;
}

/*
 * SAX hook for <!DOCTYPE: scenarios never need one, and refusing it here,
 * before the internal subset is read, means no entity is ever declared,
 * let alone expanded or fetched.
 */
static void
on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
           const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse *ps = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (!ps->failed) {
		ps->failed = 1;
		lk__sc_fail(ps->err, ps->path, xmlSAX2GetLineNumber(ctxt),
		            "DOCTYPE declarations are not allowed in "
		            "scenarios");
	}
	xmlStopParser(ctxt);
}

/* Parse buf into a tree; NULL with err filled on any error. */
static xmlDocPtr
read_doc(struct parse *ps, const char *buf, size_t len)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if ((ctxt = xmlNewParserCtxt()) == NULL) {
		oom(ps->err);
		return NULL;
	}
	ctxt->_private = ps;
	ctxt->sax->internalSubset = on_doctype;
	doc = xmlCtxtReadMemory(ctxt, buf, (int)len, NULL, NULL,
	                        XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	xmlFreeParserCtxt(ctxt);
	if (ps->failed || doc == NULL) {
		if (!ps->failed)
			lk__sc_fail(ps->err, ps->path, 1,
			            "cannot parse the file, expected a "
			            "<scenario> document");
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* Schema-compiler error handler: the embedded schema itself is broken. */
static void
on_schema_error(void *data, XML_ERROR_CONST xmlError *e)
{
	struct parse *ps = data;
	char msg[512];

	if (ps->failed || e == NULL || e->level == XML_ERR_WARNING)
		return;
	ps->failed = 1;
	tidy(e->message, msg, sizeof(msg));
	lk_err_set(ps->err, LK_EXIT_INTERNAL, "embedded schema, line %d: %s",
	           e->line, msg);
}

/* Validate doc against the schema (compiled on first use); 0 or -1. */
static int
validate(struct parse *ps, xmlDocPtr doc)
{
	xmlSchemaParserCtxtPtr pctxt;
	xmlSchemaValidCtxtPtr vctxt;
	int rc;

	if (schema == NULL) {
		pctxt = xmlSchemaNewMemParserCtxt(lk_schema_xsd,
		                                  (int)lk_schema_xsd_len);
		if (pctxt == NULL)
			return oom(ps->err);
		xmlSchemaSetParserStructuredErrors(pctxt, on_schema_error, ps);
		schema = xmlSchemaParse(pctxt);
		xmlSchemaFreeParserCtxt(pctxt);
		if (schema == NULL) {
			if (!ps->failed)
				lk_err_set(ps->err, LK_EXIT_INTERNAL,
				           "cannot compile the embedded "
				           "schema");
			return -1;
		}
	}
	if ((vctxt = xmlSchemaNewValidCtxt(schema)) == NULL)
		return oom(ps->err);
	xmlSchemaSetValidStructuredErrors(vctxt, on_xml_error, ps);
	rc = xmlSchemaValidateDoc(vctxt, doc);
	xmlSchemaFreeValidCtxt(vctxt);
	if (rc == 0)
		return 0;
	if (!ps->failed)
		lk_err_set(ps->err, LK_EXIT_INTERNAL,
		           "%s: schema validation failed (libxml2 error %d)",
		           ps->path, rc);
	return -1;
}

/* The first element among n and its next siblings, or NULL. */
static xmlNode *
element(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

/* Whether element n is called name. */
static int
is(const xmlNode *n, const char *name)
{
	return strcmp((const char *)n->name, name) == 0;
}

/* Number of element children of n. */
static size_t
count_elements(xmlNode *n)
{
	size_t k = 0;

	for (n = element(n->children); n != NULL; n = element(n->next))
		k++;
	return k;
}

/*
 * The value of attribute name on n, or NULL when absent. Without a DTD
 * there are no entity references, so the parser gives each attribute at
 * most one text node: the value can be returned without a copy.
 */
static const char *
attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->children == NULL || a->children->content == NULL)
			return "";
		return (const char *)a->children->content;
	}
	return NULL;
}

/* The text and CDATA inside n, verbatim, in a malloc'd string. */
static char *
text_of(const xmlNode *n)
{
	const xmlNode *c;
	size_t len = 0;
	char *s;

	for (c = n->children; c != NULL; c = c->next) {
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) &&
		    c->content != NULL)
			len += strlen((const char *)c->content);
	}
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	len = 0;
	for (c = n->children; c != NULL; c = c->next) {
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) &&
		    c->content != NULL) {
			strcpy(s + len, (const char *)c->content);
			len += strlen(s + len);
		}
	}
	s[len] = '\0';
	return s;
}

/* Line of element n, as the model stores it. */
static int
line_of(const xmlNode *n)
{
	long line = xmlGetLineNo(n);

	return line > 0 && line <= INT_MAX ? (int)line : 0;
}

/* Free n actions and their bodies, then the array. */
static void
free_actions(struct lk_sc_action *acts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(acts[i].text);
		free_actions(acts[i].body, acts[i].nbody);
	}
	free(acts);
}

/*
 * Deep-copy n actions into *out, *nout; 0 or -1 when out of memory. The
 * struct copy takes every number (objects, ends, bytes, values, signals,
 * lock ranges, process indices); only the text and the body (of a repeat
 * or a handler) are owned.
 */
static int
copy_actions(const struct lk_sc_action *src, size_t n,
             struct lk_sc_action **out, size_t *nout)
{
	struct lk_sc_action *d;
	size_t i;

	*nout = 0;
	if ((*out = calloc(n > 0 ? n : 1, sizeof(**out))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		/* Count it first, so a failure frees what was copied. */
		d = &(*out)[(*nout)++];
		*d = src[i];
		d->text = NULL;
		d->body = NULL;
		d->nbody = 0;
		if (src[i].text != NULL &&
		    (d->text = strdup(src[i].text)) == NULL)
			return -1;
		if (src[i].body != NULL &&
		    copy_actions(src[i].body, src[i].nbody, &d->body,
		                 &d->nbody) < 0)
			return -1;
	}
	return 0;
}

static int build_actions(struct lk_scenario *sc, xmlNode *parent, int depth,
                         struct lk_sc_action **out, size_t *nout,
                         struct lk_err *err);

/* The attributes that name what <write>, <read> or <close> works on. */
static const struct {
	const char *attr;
	enum lk_obj_kind kind;
} targets[] = {
        {"file", LK_OBJ_FILE},
        {"pipe", LK_OBJ_PIPE},
        {"fifo", LK_OBJ_FIFO},
};

/*
 * Resolve the one attribute among file=, pipe=, fifo= that action element
 * c has (wanted lists them as the message says) into a->obj; *which is
 * its index in targets. 0 or -1.
 */
static int
build_target(struct lk_scenario *sc, xmlNode *c, const char *wanted,
             struct lk_sc_action *a, size_t *which, struct lk_err *err)
{
	const char *elem = (const char *)c->name, *has[3];
	char found[64];
	size_t i, n = 0;

	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		if (attr(c, targets[i].attr) != NULL) {
			has[n++] = targets[i].attr;
			*which = i;
		}
	}
	if (n == 0)
		snprintf(found, sizeof(found), "none");
	else if (n == 2)
		snprintf(found, sizeof(found), "%s= and %s=", has[0], has[1]);
	else if (n == 3)
		snprintf(found, sizeof(found), "%s=, %s= and %s=", has[0],
		         has[1], has[2]);
	if (n != 1)
		return lk__sc_fail(err, sc->path, a->line,
		                   "<%s> needs exactly one of %s (it has %s)",
		                   elem, wanted, found);
	return lk__check_ref(sc, elem, attr(c, targets[*which].attr),
	                     targets[*which].kind, a->line, &a->obj, err);
}

/* The name of the <process> element c is in (as declared). */
static const char *
process_of(const xmlNode *c)
{
	while (c != NULL && !(c->type == XML_ELEMENT_NODE && is(c, "process")))
		c = c->parent;
	return c != NULL ? attr(c, "name") : "?";
}

/* The <handler> element c is inside (in its process), or NULL. */
static const xmlNode *
handler_of(const xmlNode *c)
{
	for (c = c->parent; c != NULL && c->type == XML_ELEMENT_NODE;
	     c = c->parent) {
		if (is(c, "handler"))
			return c;
		if (is(c, "process"))
			break;
	}
	return NULL;
}

/* Fill a from a <spawn> or <waitpid>: the name, resolved later. */
static int
build_proc_ref(struct lk_scenario *sc, xmlNode *c, int depth,
               struct lk_sc_action *a, struct lk_err *err)
{
	a->kind = is(c, "spawn") ? LK_ACT_SPAWN : LK_ACT_WAITPID;
	if (lk__check_place(sc, (const char *)c->name, process_of(c), depth, 1,
	                    a->line, err) < 0)
		return -1;
	/* lk__check_spawns resolves it once every process is built. */
	if ((a->text = strdup(attr(c, "process"))) == NULL)
		return oom(err);
	return 0;
}

/* Fill a from an <exec> element c at repeat depth; 0 or -1. */
static int
build_exec(struct lk_scenario *sc, xmlNode *c, int depth,
           struct lk_sc_action *a, struct lk_err *err)
{
	const char *in = attr(c, "stdin"), *out = attr(c, "stdout");

	a->kind = LK_ACT_EXEC;
	if (lk__check_place(sc, "exec", process_of(c), depth,
	                    element(c->next) == NULL, a->line, err) < 0)
		return -1;
	if (in != NULL && lk__check_stdio(sc, "stdin", in, LK_END_READ, a->line,
	                                  &a->in, &a->in_end, err) < 0)
		return -1;
	if (out != NULL &&
	    lk__check_stdio(sc, "stdout", out, LK_END_WRITE, a->line, &a->out,
	                    &a->out_end, err) < 0)
		return -1;
	if ((a->text = text_of(c)) == NULL)
		return oom(err);
	return lk__check_command(sc, a->text, a->line, err);
}

/* Fill a from a <read>, <close> or <open> element c; 0 or -1. */
static int
build_io(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
         struct lk_err *err)
{
	const char *mode;
	size_t which = 0;

	if (is(c, "open")) {
		const char *fifo = attr(c, "fifo"), *file = attr(c, "file");

		a->kind = LK_ACT_OPEN;
		mode = attr(c, "mode");
		if ((fifo == NULL) == (file == NULL))
			return lk__sc_fail(err, sc->path, a->line,
			                   "<open> needs exactly one of fifo= "
			                   "and file=");
		if (file != NULL && mode != NULL)
			return lk__sc_fail(
			        err, sc->path, a->line,
			        "<open file=\"%s\"> takes no mode= (a "
			        "file is opened for reading and "
			        "writing, at offset 0)",
			        file);
		if (file != NULL)
			return lk__check_ref(sc, "open", file, LK_OBJ_FILE,
			                     a->line, &a->obj, err);
		if (mode == NULL)
			return lk__sc_fail(err, sc->path, a->line,
			                   "<open fifo=\"%s\"> needs "
			                   "mode=\"read\" or mode=\"write\"",
			                   fifo);
		a->end = strcmp(mode, "read") == 0 ? LK_END_READ : LK_END_WRITE;
		return lk__check_ref(sc, "open", fifo, LK_OBJ_FIFO, a->line,
		                     &a->obj, err);
	}
	if (build_target(sc, c, "pipe=, fifo=, file=", a, &which, err) < 0)
		return -1;
	if (is(c, "read")) {
		a->kind = LK_ACT_READ;
		a->until_eof = attr(c, "until") != NULL;
		return lk__check_bytes(sc, attr(c, "bytes"), a->line, &a->bytes,
		                       err);
	}
	a->kind = LK_ACT_CLOSE;
	return lk__check_end(sc, targets[which].kind,
	                     attr(c, targets[which].attr), attr(c, "end"),
	                     a->line, &a->end, err);
}

/* The index of connection name in sc->conns, added when new; -1 with
 * err when there are too many names. */
static int
conn_index(struct lk_scenario *sc, const char *name, long line,
           struct lk_err *err)
{
	for (size_t i = 0; i < sc->nconns; i++)
		if (strcmp(sc->conns[i], name) == 0)
			return (int)i;
	if (sc->nconns >= LK_MAX_CONNS)
		return lk__sc_fail(err, sc->path, line,
		                   "connection \"%s\" is connection name "
		                   "number %zu, expected at most %d names",
		                   name, sc->nconns + 1, LK_MAX_CONNS);
	if ((sc->conns[sc->nconns] = strdup(name)) == NULL)
		return oom(err);
	return (int)sc->nconns++;
}

/*
 * Fill a from a socket action element c (<listen>, <accept>, <connect>,
 * <send>, <recv>, <shutdown>, <close socket=|conn=>); 0 or -1. Whether a
 * connection name is made before it is used is checked once every
 * process is built (lk__check_attached).
 */
static int
build_sock_action(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
                  struct lk_err *err)
{
	const char *elem = (const char *)c->name, *sock = attr(c, "socket");
	const char *conn = is(c, "accept") || is(c, "connect")
	                           ? attr(c, "as")
	                           : attr(c, "conn");

	if (is(c, "close")) {
		a->kind = LK_ACT_CLOSE;
		if ((sock == NULL) == (conn == NULL) ||
		    attr(c, "pipe") != NULL || attr(c, "fifo") != NULL ||
		    attr(c, "file") != NULL)
			return lk__sc_fail(
			        err, sc->path, a->line,
			        "<close> needs exactly one of pipe=, "
			        "fifo=, file=, socket=, conn=");
		if (attr(c, "end") != NULL)
			return lk__sc_fail(err, sc->path, a->line,
			                   "<close %s=\"%s\"> has end=\"%s\", "
			                   "expected no end= (only a pipe has "
			                   "ends; <shutdown conn=> ends the "
			                   "sending direction)",
			                   sock ? "socket" : "conn",
			                   sock ? sock : conn, attr(c, "end"));
		if (sock != NULL)
			return lk__check_ref(sc, elem, sock, LK_OBJ_SOCKET,
			                     a->line, &a->obj, err);
		return (a->conn = conn_index(sc, conn, a->line, err)) < 0 ? -1
		                                                          : 0;
	}
	a->kind = is(c, "listen")    ? LK_ACT_LISTEN
	          : is(c, "accept")  ? LK_ACT_ACCEPT
	          : is(c, "connect") ? LK_ACT_CONNECT
	          : is(c, "send")    ? LK_ACT_SEND
	          : is(c, "recv")    ? LK_ACT_RECV
	                             : LK_ACT_SHUTDOWN;
	if (sock != NULL && lk__check_ref(sc, elem, sock, LK_OBJ_SOCKET,
	                                  a->line, &a->obj, err) < 0)
		return -1;
	if (conn != NULL && (a->conn = conn_index(sc, conn, a->line, err)) < 0)
		return -1;
	/* The agent names the connection's end after it. */
	if (a->kind == LK_ACT_CONNECT &&
	    (a->text = strdup(conn != NULL ? conn : "")) == NULL)
		return oom(err);
	if (a->kind == LK_ACT_LISTEN)
		return lk__check_backlog(sc, sock, attr(c, "backlog"), a->line,
		                         &a->value, err);
	if (a->kind == LK_ACT_SEND) {
		if ((a->text = text_of(c)) == NULL)
			return oom(err);
		return 0;
	}
	if (a->kind == LK_ACT_RECV) {
		a->until_eof = attr(c, "until") != NULL;
		a->echo = attr(c, "echo") != NULL &&
		          strcmp(attr(c, "echo"), "yes") == 0;
		return lk__check_recv_bytes(sc, conn, attr(c, "bytes"), a->line,
		                            &a->bytes, err);
	}
	return 0;
}

/* Fill a from a cell or region action element c; 0 or -1. */
static int
build_shm_action(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
                 struct lk_err *err)
{
	const char *elem = (const char *)c->name, *name, *value;
	char subject[LK_NAME_MAX + 32];

	if (is(c, "attach") || is(c, "detach") || is(c, "remove")) {
		a->kind = is(c, "attach")   ? LK_ACT_ATTACH
		          : is(c, "detach") ? LK_ACT_DETACH
		                            : LK_ACT_REMOVE;
		return lk__check_ref(sc, elem, attr(c, "shm"), LK_OBJ_SHM,
		                     a->line, &a->obj, err);
	}
	a->kind = is(c, "load")    ? LK_ACT_LOAD
	          : is(c, "store") ? LK_ACT_STORE
	                           : LK_ACT_ADD;
	name = attr(c, "cell");
	if (lk__check_ref(sc, elem, name, LK_OBJ_CELL, a->line, &a->obj, err) <
	    0)
		return -1;
	if (a->kind == LK_ACT_LOAD)
		return 0;
	/* store requires value= (the schema says so); add defaults to 1. */
	if ((value = attr(c, "value")) == NULL) {
		a->value = 1;
		return 0;
	}
	snprintf(subject, sizeof(subject), "<%s cell=\"%s\">", elem, name);
	return lk__check_int64(sc, subject, value, a->line, &a->value, err);
}

/* Fill a from a <kill> or <pause> element c; 0 or -1. */
static int
build_signal_action(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
                    struct lk_err *err)
{
	if (is(c, "pause")) {
		a->kind = LK_ACT_PAUSE;
		return 0;
	}
	a->kind = LK_ACT_KILL;
	if (lk__check_signal(sc, "kill", attr(c, "signal"), a->line, &a->value,
	                     err) < 0)
		return -1;
	/* lk__check_spawns resolves the process with the <spawn>s. */
	if ((a->text = strdup(attr(c, "process"))) == NULL)
		return oom(err);
	return 0;
}

/*
 * Fill a from a <handler> element c at repeat depth, after the nprev
 * actions prev of its parent; 0 or -1.
 */
static int
build_handler(struct lk_scenario *sc, xmlNode *c, int depth,
              const struct lk_sc_action *prev, size_t nprev,
              struct lk_sc_action *a, struct lk_err *err)
{
	a->kind = LK_ACT_HANDLER;
	if (lk__check_signal(sc, "handler", attr(c, "signal"), a->line,
	                     &a->value, err) < 0 ||
	    lk__check_handler(sc, process_of(c), prev, nprev, depth, a->value,
	                      a->line, err) < 0)
		return -1;
	return build_actions(sc, c, depth, &a->body, &a->nbody, err);
}

/* Fill a from a <semop set= undo=> element c and its <op>s: the
 * operations as text "NUM:ADD ..."; 0 or -1. */
static int
build_semop(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
            struct lk_err *err)
{
	const char *undo = attr(c, "undo");
	char ops[LK_SEMOP_MAX * 16] = "";
	size_t len = 0;
	xmlNode *op;

	a->kind = LK_ACT_SEMOP;
	a->undo = undo != NULL && strcmp(undo, "yes") == 0;
	if (lk__check_ref(sc, "semop", attr(c, "set"), LK_OBJ_SEMSET, a->line,
	                  &a->obj, err) < 0)
		return -1;
	for (op = element(c->children); op != NULL; op = element(op->next)) {
		int n, v;

		if (lk__check_semop(sc, a->obj, attr(op, "sem"),
		                    attr(op, "add"), line_of(op), &n, &v,
		                    err) < 0)
			return -1;
		len += (size_t)snprintf(ops + len, sizeof(ops) - len, "%s%d:%d",
		                        len ? " " : "", n, v);
	}
	if ((a->text = strdup(ops)) == NULL)
		return oom(err);
	return 0;
}

/* Fill a from a <lock> or <unlock> element c; 0 or -1. */
static int
build_lock(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
           struct lk_err *err)
{
	const char *elem = (const char *)c->name, *name = attr(c, "file");
	const char *type = attr(c, "type"), *wait = attr(c, "wait");

	a->kind = is(c, "lock") ? LK_ACT_LOCK : LK_ACT_UNLOCK;
	if (lk__check_lock_kind(sc, elem, name, attr(c, "mutex"), type,
	                        wait != NULL || attr(c, "start") != NULL ||
	                                attr(c, "len") != NULL,
	                        a->line, err) < 0)
		return -1;
	if (name == NULL) {
		a->sync = 1;
		return lk__check_ref(sc, elem, attr(c, "mutex"), LK_OBJ_MUTEX,
		                     a->line, &a->obj, err);
	}
	if (lk__check_ref(sc, elem, name, LK_OBJ_FILE, a->line, &a->obj, err) <
	    0)
		return -1;
	/* The schema requires type= on <lock> and refuses it on <unlock>. */
	if (a->kind == LK_ACT_LOCK) {
		a->end = type != NULL && strcmp(type, "read") == 0
		                 ? LK_END_READ
		                 : LK_END_WRITE;
		a->nowait = wait != NULL && strcmp(wait, "no") == 0;
	}
	return lk__check_range(sc, elem, name, attr(c, "start"), attr(c, "len"),
	                       a->line, &a->start, &a->len, err);
}

/* The <thread> element c is inside (in its process), or NULL. */
static const xmlNode *
thread_of(const xmlNode *c)
{
	for (c = c->parent; c != NULL && c->type == XML_ELEMENT_NODE;
	     c = c->parent) {
		if (is(c, "thread"))
			return c;
		if (is(c, "process"))
			break;
	}
	return NULL;
}

/* Fill a from a <wait cond= mutex= while=|if=> element c; 0 or -1. */
static int
build_cond_wait(struct lk_scenario *sc, xmlNode *c, struct lk_sc_action *a,
                struct lk_err *err)
{
	const char *w = attr(c, "while"), *f = attr(c, "if");

	a->kind = LK_ACT_WAIT;
	a->sync = 1;
	if (lk__check_wait_kind(sc, attr(c, "sem"), attr(c, "cond"),
	                        attr(c, "mutex"), w, f, a->line, err) < 0 ||
	    lk__check_ref(sc, "wait", attr(c, "cond"), LK_OBJ_COND, a->line,
	                  &a->obj, err) < 0 ||
	    lk__check_ref(sc, "wait", attr(c, "mutex"), LK_OBJ_MUTEX, a->line,
	                  &a->mutex, err) < 0)
		return -1;
	if (w == NULL && f == NULL)
		return 0;
	a->test = w != NULL ? 1 : 2;
	return lk__check_test(sc, w != NULL ? "while" : "if", w != NULL ? w : f,
	                      a->line, &a->cell, &a->cmp, &a->value, err);
}

/* Fill a from a thread element c: <thread>, <start>, <join>, <signal>,
 * <broadcast>, <barrier-wait>; 0 or -1. */
static int
build_thread_action(struct lk_scenario *sc, xmlNode *c, int depth,
                    struct lk_sc_action *a, struct lk_err *err)
{
	const char *elem = (const char *)c->name;

	if (is(c, "thread")) {
		a->kind = LK_ACT_THREAD;
		if (lk__check_thread_place(sc, attr(c, "name"), process_of(c),
		                           is(c->parent, "process"), a->line,
		                           err) < 0)
			return -1;
		if ((a->text = strdup(attr(c, "name"))) == NULL)
			return oom(err);
		return build_actions(sc, c, 0, &a->body, &a->nbody, err);
	}
	if (is(c, "start") || is(c, "join")) {
		a->kind = is(c, "start") ? LK_ACT_START : LK_ACT_JOIN;
		(void)depth; /* lk__check_threads resolves and places it */
		if ((a->text = strdup(attr(c, "thread"))) == NULL)
			return oom(err);
		return 0;
	}
	if (is(c, "barrier-wait")) {
		a->kind = LK_ACT_BARRIER_WAIT;
		if (lk__check_ref(sc, elem, attr(c, "barrier"), LK_OBJ_BARRIER,
		                  a->line, &a->obj, err) < 0)
			return -1;
		/* The agent initialises the barrier with it. */
		a->times = sc->objects[a->obj].u.barrier.count;
		return 0;
	}
	a->kind = is(c, "signal") ? LK_ACT_SIGNAL : LK_ACT_BROADCAST;
	return lk__check_ref(sc, elem, attr(c, "cond"), LK_OBJ_COND, a->line,
	                     &a->obj, err);
}

/*
 * Fill a from action element c at repeat depth, after the nprev actions
 * prev of its parent; 0 or -1.
 */
static int
build_action(struct lk_scenario *sc, xmlNode *c, int depth,
             const struct lk_sc_action *prev, size_t nprev,
             struct lk_sc_action *a, struct lk_err *err)
{
	const char *elem = (const char *)c->name;
	const xmlNode *h;
	size_t which = 0;

	if ((h = handler_of(c)) != NULL &&
	    lk__check_in_handler(sc, elem, attr(h, "signal"), line_of(h),
	                         a->line, err) < 0)
		return -1;
	if ((h = thread_of(c)) != NULL &&
	    lk__check_in_thread(sc, elem, attr(h, "name"), line_of(h), a->line,
	                        err) < 0)
		return -1;
	if (is(c, "thread") || is(c, "start") || is(c, "join") ||
	    is(c, "signal") || is(c, "broadcast") || is(c, "barrier-wait"))
		return build_thread_action(sc, c, depth, a, err);
	if (is(c, "wait") && attr(c, "sem") == NULL)
		return build_cond_wait(sc, c, a, err);
	if (is(c, "post") || is(c, "wait") || is(c, "trywait")) {
		a->kind = is(c, "post")   ? LK_ACT_POST
		          : is(c, "wait") ? LK_ACT_WAIT
		                          : LK_ACT_TRYWAIT;
		return lk__check_ref(sc, elem, attr(c, "sem"), LK_OBJ_SEM,
		                     a->line, &a->obj, err);
	}
	if (is(c, "print") || is(c, "write")) {
		a->kind = is(c, "print") ? LK_ACT_PRINT : LK_ACT_WRITE;
		if (a->kind == LK_ACT_WRITE &&
		    build_target(sc, c, "file=, pipe=, fifo=", a, &which, err) <
		            0)
			return -1;
		if ((a->text = text_of(c)) == NULL)
			return oom(err);
		if (a->kind == LK_ACT_PRINT)
			return lk__check_print_cells(sc, a->text, a->line, err);
		return 0;
	}
	if (is(c, "sleep")) {
		a->kind = LK_ACT_SLEEP;
		return lk__check_sleep(sc, attr(c, "for"), a->line, &a->ns,
		                       err);
	}
	if (is(c, "repeat")) {
		a->kind = LK_ACT_REPEAT;
		if (lk__check_repeat(sc, attr(c, "times"), depth + 1, a->line,
		                     &a->times, err) < 0)
			return -1;
		return build_actions(sc, c, depth + 1, &a->body, &a->nbody,
		                     err);
	}
	if (is(c, "spawn") || is(c, "waitpid"))
		return build_proc_ref(sc, c, depth, a, err);
	if (is(c, "exec"))
		return build_exec(sc, c, depth, a, err);
	if (is(c, "listen") || is(c, "accept") || is(c, "connect") ||
	    is(c, "send") || is(c, "recv") || is(c, "shutdown") ||
	    (is(c, "close") &&
	     (attr(c, "conn") != NULL || attr(c, "socket") != NULL)))
		return build_sock_action(sc, c, a, err);
	if (is(c, "read") || is(c, "close") || is(c, "open"))
		return build_io(sc, c, a, err);
	if (is(c, "load") || is(c, "store") || is(c, "add") ||
	    is(c, "attach") || is(c, "detach") || is(c, "remove"))
		return build_shm_action(sc, c, a, err);
	if (is(c, "kill") || is(c, "pause"))
		return build_signal_action(sc, c, a, err);
	if (is(c, "handler"))
		return build_handler(sc, c, depth, prev, nprev, a, err);
	if (is(c, "lock") || is(c, "unlock"))
		return build_lock(sc, c, a, err);
	if (is(c, "semop"))
		return build_semop(sc, c, a, err);
	return lk__sc_fail(err, sc->path, a->line, "unexpected <%s>", elem);
}

/* Build the actions inside parent into *out, *nout; 0 or -1. */
static int
build_actions(struct lk_scenario *sc, xmlNode *parent, int depth,
              struct lk_sc_action **out, size_t *nout, struct lk_err *err)
{
	struct lk_sc_action *a;
	size_t n = count_elements(parent);
	xmlNode *c;

	*nout = 0;
	if ((*out = calloc(n > 0 ? n : 1, sizeof(**out))) == NULL)
		return oom(err);
	for (c = element(parent->children); c != NULL; c = element(c->next)) {
		/* Count it first, so a failure frees what it holds. */
		a = &(*out)[(*nout)++];
		a->obj = -1;
		a->proc = -1;
		a->in = -1;
		a->out = -1;
		a->conn = -1;
		a->mutex = -1;
		a->cell = -1;
		a->line = line_of(c);
		if (build_action(sc, c, depth, *out, *nout - 1, a, err) < 0)
			return -1;
	}
	return 0;
}

/* The kind of object element n declares. */
static enum lk_obj_kind
object_kind(const xmlNode *n)
{
	if (is(n, "semaphore"))
		return LK_OBJ_SEM;
	if (is(n, "pipe"))
		return LK_OBJ_PIPE;
	if (is(n, "fifo"))
		return LK_OBJ_FIFO;
	if (is(n, "shm"))
		return LK_OBJ_SHM;
	if (is(n, "semset"))
		return LK_OBJ_SEMSET;
	if (is(n, "socket"))
		return LK_OBJ_SOCKET;
	if (is(n, "mutex"))
		return LK_OBJ_MUTEX;
	if (is(n, "condvar"))
		return LK_OBJ_COND;
	if (is(n, "barrier"))
		return LK_OBJ_BARRIER;
	return LK_OBJ_FILE;
}

/* Whether element n declares an object. */
static int
is_object(const xmlNode *n)
{
	return is(n, "semaphore") || is(n, "file") || is(n, "pipe") ||
	       is(n, "fifo") || is(n, "shm") || is(n, "semset") ||
	       is(n, "socket") || is(n, "mutex") || is(n, "condvar") ||
	       is(n, "barrier");
}

/* Add the cells of the region objects[shm], declared by n; 0 or -1. */
static int
build_cells(struct lk_scenario *sc, xmlNode *n, int shm, struct lk_err *err)
{
	const char *name, *value;
	struct lk_sc_object *o;
	char subject[LK_NAME_MAX + 16];
	long long v;
	xmlNode *c;
	int line;

	for (c = element(n->children); c != NULL; c = element(c->next)) {
		name = attr(c, "name");
		line = line_of(c);
		v = 0;
		if (lk__check_object(sc, LK_OBJ_CELL, name, NULL, line, err) <
		    0)
			return -1;
		snprintf(subject, sizeof(subject), "cell \"%s\"", name);
		if ((value = attr(c, "value")) != NULL &&
		    lk__check_int64(sc, subject, value, line, &v, err) < 0)
			return -1;
		o = &sc->objects[sc->nobjects++];
		o->kind = LK_OBJ_CELL;
		o->line = line;
		o->u.cell.shm = shm;
		o->u.cell.slot = sc->objects[shm].u.shm.ncells++;
		o->u.cell.value = v;
		if ((o->name = strdup(name)) == NULL)
			return oom(err);
	}
	return 0;
}

/* Add the object declared by element n (and a region's cells); 0 or -1. */
static int
build_object(struct lk_scenario *sc, xmlNode *n, struct lk_err *err)
{
	enum lk_obj_kind kind = object_kind(n);
	const char *name = attr(n, "name"), *path = NULL, *k;
	struct lk_sc_object *o;
	int line = line_of(n);
	unsigned value = 0;

	if ((kind == LK_OBJ_FILE || kind == LK_OBJ_FIFO ||
	     kind == LK_OBJ_SOCKET) &&
	    (path = attr(n, "path")) == NULL)
		path = name;
	if (kind == LK_OBJ_SOCKET &&
	    lk__check_socket(sc, name, attr(n, "kind"), attr(n, "domain"), path,
	                     line, err) < 0)
		return -1;
	if (lk__check_object(sc, kind, name, path, line, err) < 0 ||
	    (path != NULL &&
	     lk__check_path_dir(sc, kind, name, path, line, err) < 0))
		return -1;
	if (kind == LK_OBJ_SEM &&
	    lk__check_sem_value(sc, name, attr(n, "value"), line, &value, err) <
	            0)
		return -1;
	if (kind == LK_OBJ_SHM &&
	    lk__check_cells(sc, name, count_elements(n), line, err) < 0)
		return -1;
	o = &sc->objects[sc->nobjects];
	if (kind == LK_OBJ_BARRIER &&
	    lk__check_barrier_count(sc, name, attr(n, "count"), line,
	                            &o->u.barrier.count, err) < 0)
		return -1;
	if (kind == LK_OBJ_SEMSET &&
	    lk__check_semset(sc, name, attr(n, "values"), line,
	                     o->u.semset.values, &o->u.semset.n, err) < 0)
		return -1;
	sc->nobjects++;
	o->kind = kind;
	o->line = line;
	if ((o->name = strdup(name)) == NULL)
		return oom(err);
	k = attr(n, "kind");
	switch (kind) {
	case LK_OBJ_FILE:
	case LK_OBJ_FIFO:
	case LK_OBJ_SOCKET:
		if ((o->u.file.path = strdup(path)) == NULL)
			return oom(err);
		return 0;
	case LK_OBJ_SEM:
		o->u.sem.kind = k != NULL && strcmp(k, "unnamed") == 0
		                        ? LK_SEM_UNNAMED
		                        : LK_SEM_NAMED;
		o->u.sem.value = value;
		return 0;
	case LK_OBJ_SHM:
		o->u.shm.kind = k != NULL && strcmp(k, "sysv") == 0
		                        ? LK_SHM_SYSV
		                        : LK_SHM_POSIX;
		return build_cells(sc, n, (int)(o - sc->objects), err);
	case LK_OBJ_PIPE:
	case LK_OBJ_CELL:
	case LK_OBJ_SEMSET:
	case LK_OBJ_MUTEX:
	case LK_OBJ_COND:
	case LK_OBJ_BARRIER:
		break;
	}
	return 0;
}

/* Add the process (or its count instances) declared by n; 0 or -1. */
static int
build_process(struct lk_scenario *sc, xmlNode *n, struct lk_err *err)
{
	const char *name = attr(n, "name"), *count = attr(n, "count");
	struct lk_sc_process *p, *first = NULL;
	int line = line_of(n);
	unsigned k, i;

	if (lk__check_process(sc, name, count, line, &k, err) < 0)
		return -1;
	for (i = 1; i <= k; i++) {
		p = &sc->procs[sc->nprocs++];
		p->line = line;
		if (count == NULL)
			p->name = strdup(name);
		else if (asprintf(&p->name, "%s.%u", name, i) < 0)
			p->name = NULL;
		if (p->name == NULL)
			return oom(err);
		if (first == NULL) {
			first = p;
			if (build_actions(sc, n, 0, &p->actions, &p->nactions,
			                  err) < 0 ||
			    lk__check_not_only_handlers(sc, name, p->actions,
			                                p->nactions, line,
			                                err) < 0)
				return -1;
		} else if (copy_actions(first->actions, first->nactions,
		                        &p->actions, &p->nactions) < 0) {
			return oom(err);
		}
	}
	return 0;
}

/* Fill e from expectation element c; 0 or -1. */
static int
build_expect(struct lk_scenario *sc, xmlNode *c, struct lk_sc_expect *e,
             struct lk_err *err)
{
	const char *elem = (const char *)c->name, *when = attr(c, "when");
	const char *first, *then, *re;
	char subject[LK_NAME_MAX + 16];

	e->when = when == NULL || strcmp(when, "always") == 0 ? LK_ALWAYS
	          : strcmp(when, "sometimes") == 0            ? LK_SOMETIMES
	                                                      : LK_NEVER;
	if (is(c, "before")) {
		e->kind = LK_EXPECT_BEFORE;
		first = attr(c, "first");
		then = attr(c, "then");
		if (lk__check_printed(sc, "first", first, e->line, err) < 0 ||
		    lk__check_printed(sc, "then", then, e->line, err) < 0)
			return -1;
		if ((e->first = strdup(first)) == NULL ||
		    (e->then = strdup(then)) == NULL)
			return oom(err);
		return 0;
	}
	if (is(c, "deadlock")) {
		e->kind = LK_EXPECT_DEADLOCK;
		return 0;
	}
	if (is(c, "cell")) {
		e->kind = LK_EXPECT_CELL;
		first = attr(c, "name");
		if (lk__check_ref(sc, elem, first, LK_OBJ_CELL, e->line,
		                  &e->obj, err) < 0)
			return -1;
		snprintf(subject, sizeof(subject), "<cell name=\"%s\">", first);
		return lk__check_int64(sc, subject, attr(c, "value"), e->line,
		                       &e->value, err);
	}
	e->kind = is(c, "output") ? LK_EXPECT_OUTPUT : LK_EXPECT_CONTENTS;
	if (e->kind == LK_EXPECT_CONTENTS &&
	    lk__check_ref(sc, elem, attr(c, "file"), LK_OBJ_FILE, e->line,
	                  &e->obj, err) < 0)
		return -1;
	re = attr(c, "matches");
	if (lk__check_regex(sc, elem, re, e->line, err) < 0)
		return -1;
	if ((e->regex = strdup(re)) == NULL)
		return oom(err);
	return 0;
}

/* Add the expectations inside <expect> n; 0 or -1. */
static int
build_expects(struct lk_scenario *sc, xmlNode *n, struct lk_err *err)
{
	size_t k = count_elements(n);
	struct lk_sc_expect *e;
	xmlNode *c;

	if ((sc->expects = calloc(k > 0 ? k : 1, sizeof(*e))) == NULL)
		return oom(err);
	for (c = element(n->children); c != NULL; c = element(c->next)) {
		e = &sc->expects[sc->nexpects++];
		e->obj = -1;
		e->line = line_of(c);
		if (build_expect(sc, c, e, err) < 0)
			return -1;
	}
	return 0;
}

/* The description's text without surrounding blanks, malloc'd. */
static char *
description(const xmlNode *n)
{
	char *s, *b, *e;

	if ((s = text_of(n)) == NULL)
		return NULL;
	for (b = s; *b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'; b++)
		;
	for (e = b + strlen(b); e > b && (e[-1] == ' ' || e[-1] == '\t' ||
	                                  e[-1] == '\n' || e[-1] == '\r');
	     e--)
		;
	memmove(s, b, (size_t)(e - b));
	s[e - b] = '\0';
	return s;
}

/* Build sc from a valid <scenario> root, in document order; 0 or -1. */
static int
build(struct lk_scenario *sc, xmlNode *root, struct lk_err *err)
{
	size_t nobj = 0;
	int resolved = 0;
	xmlNode *c;

	if ((sc->name = strdup(attr(root, "name"))) == NULL)
		return oom(err);
	for (c = element(root->children); c != NULL; c = element(c->next)) {
		if (is_object(c))
			nobj += 1 + (is(c, "shm") ? count_elements(c) : 0);
	}
	if (nobj > LK_MAX_DECLARED)
		nobj = LK_MAX_DECLARED;
	sc->objects = calloc(nobj > 0 ? nobj : 1, sizeof(*sc->objects));
	sc->procs = calloc(LK_MAX_PROCS, sizeof(*sc->procs));
	if (sc->objects == NULL || sc->procs == NULL)
		return oom(err);
	for (c = element(root->children); c != NULL; c = element(c->next)) {
		if (is(c, "description")) {
			if ((sc->description = description(c)) == NULL)
				return oom(err);
		} else if (is_object(c)) {
			if (build_object(sc, c, err) < 0)
				return -1;
		} else if (is(c, "process")) {
			if (build_process(sc, c, err) < 0)
				return -1;
		} else if (is(c, "expect")) {
			/* Processes may be named before they are declared. */
			resolved = 1;
			if (lk__check_spawns(sc, err) < 0 ||
			    lk__check_threads(sc, err) < 0 ||
			    lk__check_attached(sc, err) < 0 ||
			    build_expects(sc, c, err) < 0)
				return -1;
		}
	}
	if (resolved)
		return 0;
	if (lk__check_spawns(sc, err) < 0 || lk__check_threads(sc, err) < 0)
		return -1;
	return lk__check_attached(sc, err);
}

/* Whether buf holds nothing but blanks. */
static int
blank(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' &&
		    buf[i] != '\r')
			return 0;
	}
	return 1;
}

/* Parse, validate and cross-check the scenario in buf; 0 or -1. */
int
lk_scenario_parse(const char *buf, size_t len, const char *path,
                  struct lk_scenario **out, struct lk_err *err)
{
	xmlStructuredErrorFunc old_serror;
	xmlGenericErrorFunc old_error;
	void *old_sctx, *old_ctx;
	struct lk_scenario *sc = NULL;
	struct parse ps;
	xmlDocPtr doc = NULL;
	int rc = -1;

	*out = NULL;
	ps.path = path != NULL ? path : "(buffer)";
	ps.err = err;
	ps.failed = 0;
	if (buf == NULL || blank(buf, len))
		return lk__sc_fail(err, ps.path, 1,
		                   "the file is empty, expected a <scenario> "
		                   "document");
	if (lk__check_xml_caps(buf, len, ps.path, err) < 0)
		return -1;

	/* Route every libxml2 message to us for the duration. */
	xmlInitParser();
	old_serror = xmlStructuredError;
	old_sctx = xmlStructuredErrorContext;
	old_error = xmlGenericError;
	old_ctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(&ps, on_xml_error);
	xmlSetGenericErrorFunc(NULL, on_generic_error);

	if ((doc = read_doc(&ps, buf, len)) == NULL || validate(&ps, doc) < 0)
		goto out;
	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    (sc->path = strdup(ps.path)) == NULL) {
		oom(err);
		goto out;
	}
	if (build(sc, xmlDocGetRootElement(doc), err) < 0)
		goto out;
	*out = sc;
	sc = NULL;
	rc = 0;
out:
	xmlSetStructuredErrorFunc(old_sctx, old_serror);
	xmlSetGenericErrorFunc(old_ctx, old_error);
	lk_scenario_free(sc);
	xmlFreeDoc(doc);
	return rc;
}

/* Read the whole file at path into a malloc'd *buf; 0 or -1. */
static int
read_file(const char *path, char **buf, size_t *len, struct lk_err *err)
{
	size_t size = 4096, used = 0;
	char *b = NULL, *nb;
	ssize_t got;
	int fd, rc = -1;

	if ((fd = lk_input_open(path, "a scenario file", err)) < 0)
		return -1;
	for (;;) {
		if (used == size || b == NULL) {
			if (b != NULL)
				size *= 2;
			if (size > MAX_FILE_SIZE + 1)
				size = MAX_FILE_SIZE + 1;
			if ((nb = realloc(b, size)) == NULL) {
				oom(err);
				goto out;
			}
			b = nb;
		}
		got = read(fd, b + used, size - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			lk_err_set(err, LK_EXIT_USAGE, "%s: cannot read: %s",
			           path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		used += (size_t)got;
		if (used > MAX_FILE_SIZE) {
			lk_err_set(err, LK_EXIT_USAGE,
			           "%s:1: the file has more than %d bytes, the "
			           "limit of a scenario",
			           path, MAX_FILE_SIZE);
			goto out;
		}
	}
	*buf = b;
	*len = used;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

/* Load, validate and cross-check the scenario file at path; 0 or -1. */
int
lk_scenario_load(const char *path, struct lk_scenario **out, struct lk_err *err)
{
	size_t len;
	char *buf;
	int rc;

	*out = NULL;
	if (read_file(path, &buf, &len, err) < 0)
		return -1;
	rc = lk_scenario_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

/* Load as lk_scenario_load, with the SHA-256 of the very bytes parsed. */
int
lk_scenario_load_hashed(const char *path, struct lk_scenario **out,
                        char hex[65], struct lk_err *err)
{
	size_t len;
	char *buf;
	int rc;

	*out = NULL;
	if (read_file(path, &buf, &len, err) < 0)
		return -1;
	lk_sha256_hex(buf, len, hex);
	rc = lk_scenario_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}

/* Free a scenario and everything it owns; NULL is allowed. */
void
lk_scenario_free(struct lk_scenario *sc)
{
	size_t i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->nobjects; i++) {
		free(sc->objects[i].name);
		if (sc->objects[i].kind == LK_OBJ_FILE ||
		    sc->objects[i].kind == LK_OBJ_FIFO ||
		    sc->objects[i].kind == LK_OBJ_SOCKET)
			free(sc->objects[i].u.file.path);
	}
	for (i = 0; i < sc->nconns; i++)
		free(sc->conns[i]);
	for (i = 0; i < sc->nprocs; i++) {
		free(sc->procs[i].name);
		free_actions(sc->procs[i].actions, sc->procs[i].nactions);
	}
	for (i = 0; i < sc->nexpects; i++) {
		free(sc->expects[i].first);
		free(sc->expects[i].then);
		free(sc->expects[i].regex);
	}
	free(sc->objects);
	free(sc->procs);
	free(sc->expects);
	free(sc->description);
	free(sc->name);
	free(sc->path);
	free(sc);
}

/* Index of the object called name, or -1. */
int
lk_scenario_find_object(const struct lk_scenario *sc, const char *name)
{
	size_t i;

	if (sc == NULL || name == NULL)
		return -1;
	for (i = 0; i < sc->nobjects; i++) {
		if (strcmp(sc->objects[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}
