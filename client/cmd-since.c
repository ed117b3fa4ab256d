/*
 * depcheck since, watch and log: what changed, as it happens, and
 * afterwards.  Each sends one request and prints the CHANGES frames of its
 * answer as they come, up to the CHANGES_END (proto/PROTOCOL.md).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"
#include "cmd.h"
#include "json.h"
#include "resolve.h"

/* What an answer prints, and how. */
struct changes_out {
	int		 json;
	int		 zero;		/* -0: NUL ends each record */
	int		 log;		/* with the time of each entry */
	int		 since;		/* exists/deleted, not what */
	uint64_t	 db_id;		/* for tokens, once known */
	uint64_t	 count;
	uint64_t	 last;		/* seq of the last change printed */
	uint64_t	 resume;	/* watch: every change up to it printed */
};

/* Tokens are "ID:SEQ": the database's id in hex, the seq in decimal. */
static void
token_parse(const char *s, uint64_t *id, uint64_t *seq)
{
	char	*end;

	*id = *seq = 0;
	if (strlen(s) < 18 || s[16] != ':' || !isxdigit((unsigned char)*s) ||
	    !isdigit((unsigned char)s[17]))
		return;
	*id = strtoull(s, &end, 16);
	if (end != s + 16) {
		*id = 0;
		return;
	}
	*seq = strtoull(s + 17, &end, 10);
	if (*end != '\0')
		*id = *seq = 0;		/* unusable: a fresh answer */
}

static const char *
token_fmt(uint64_t id, uint64_t seq)
{
	static char	buf[48];

	snprintf(buf, sizeof buf, "%016" PRIx64 ":%" PRIu64, id, seq);
	return (buf);
}

static const char *
what_name(uint32_t what)
{
	switch (what) {
	case PROTO_WRITTEN:		return ("written");
	case PROTO_CREATED:		return ("created");
	case PROTO_DELETED:		return ("deleted");
	case PROTO_FOUND:		return ("found");
	case PROTO_RESTAMPED:		return ("restamped");
	case PROTO_FRESH:		return ("fresh");
	case PROTO_BUILD_START:		return ("build-start");
	case PROTO_BUILD_END:		return ("build-end");
	case PROTO_BUILD_FAILED:	return ("build-failed");
	case PROTO_START:		return ("start");
	}
	return ("rescan");
}

/* The cause of a rescan entry, or NULL for other entries. */
static const char *
what_cause(uint32_t what)
{
	switch (what) {
	case PROTO_RESCAN_OVERFLOW:	return ("overflow");
	case PROTO_RESCAN_LOST:		return ("lost-watch");
	}
	return (NULL);
}

/* Start, rescan: an entry of the daemon, with no path. */
static int
what_is_mark(uint32_t what)
{
	return (what >= PROTO_START);
}

static void
change_json(struct changes_out *o, const struct proto_change *c)
{
	char	*path;

	printf("{\"seq\":%" PRIu64, c->seq);
	if (o->log)
		printf(",\"time_ns\":%" PRId64, c->wtime_ns);
	if (what_is_mark(c->what)) {
		/* log: every entry has a "what"; watch calls them events */
		printf(",\"%s\":\"%s\"", o->log ? "what" : "event",
		    what_name(c->what));
		if (what_cause(c->what) != NULL)
			printf(",\"cause\":\"%s\"", what_cause(c->what));
	} else {
		path = c->pathlen == 0 ? xstrdup(".") :
		    xstrndup(c->path, c->pathlen);
		putchar(',');
		json_put_path(stdout, "path", path);
		free(path);
		printf(",\"exists\":%s,\"what\":\"%s\"", c->what ==
		    PROTO_DELETED ? "false" : "true", what_name(c->what));
		if (o->since)
			printf(",\"fresh\":%s", c->what == PROTO_FRESH ?
			    "true" : "false");
	}
	if (!o->log && !o->since)
		printf(",\"token\":\"%s\"", token_fmt(o->db_id, c->seq));
	puts("}");
}

static void
change_print(void *arg, const struct proto_change *c)
{
	struct changes_out	*o = arg;
	const char		*what = what_name(c->what);

	o->count++;
	o->last = c->seq;
	if (o->json) {
		change_json(o, c);
		return;
	}
	printf("%" PRIu64, c->seq);
	if (o->log)
		printf(" %s", cmd_time(c->wtime_ns));
	if (o->since && c->what != PROTO_FRESH)
		what = c->what == PROTO_DELETED ? "deleted" : "exists";
	printf(" %s", what);
	if (what_cause(c->what) != NULL)
		printf(" %s", what_cause(c->what));
	if (!what_is_mark(c->what)) {
		putchar(' ');
		if (c->pathlen == 0)
			putchar('.');	/* the root */
		else
			fwrite(c->path, 1, c->pathlen, stdout);
	}
	putchar(o->zero ? '\0' : '\n');
}

/*
 * One frame of an answer (its payload p is freed): print a CHANGES, or
 * take the CHANGES_END into *end and return 1.
 */
static int
changes_take(struct client *c, struct changes_out *o,
    struct proto_changes_end *end, uint32_t type, uint8_t *p, uint32_t len,
    int flush)
{
	const char	*why;

	if (type == PROTO_MSG_CHANGES_END) {
		if (proto_unpack_changes_end(p, len, end, &why) != 0)
			cmd_fail("bad reply from the daemon for '%s': %s",
			    c->root, why);
		free(p);
		o->db_id = end->db_id;
		o->resume = end->seq;
		return (1);
	}
	if (type != PROTO_MSG_CHANGES || proto_unpack_changes(p, len,
	    change_print, o, &why) < 0)
		cmd_fail("bad reply from the daemon for '%s': %s", c->root,
		    type != PROTO_MSG_CHANGES ? proto_msg_name(type) : why);
	free(p);
	o->resume = o->last;
	if (flush)
		cmd_flush();
	return (0);
}

/*
 * Read and print the answer's frames up to its CHANGES_END (returned in
 * *end).  A watch waits for ever; flush: after every frame.
 */
static void
changes_read(struct client *c, struct changes_out *o,
    struct proto_changes_end *end, int timeout_ms, int flush)
{
	char		*cause;
	uint8_t		*p;
	uint32_t	 type, len;

	do {
		if (client_read(c, &type, &p, &len, timeout_ms, &cause) != 0) {
			if (o->db_id != 0 && !o->since && !o->log)
				cmd_fail("%s; the watch ended (resume with"
				    " --since %s)", cause, token_fmt(o->db_id,
				    o->resume));
			cmd_fail("%s", cause);
		}
	} while (!changes_take(c, o, end, type, p, len, flush));
}

/* log's first line: where the kept history begins (the status says). */
static void
changes_header(struct client *c, const struct changes_out *o)
{
	struct proto_status_item	*items;
	uint8_t				*p;
	uint64_t			 from = 0;
	char				*cause;
	int				 n, i;

	items = xcalloc(PROTO_MAX_STATUS, sizeof *items);
	if ((n = client_status(c, items, &p, &cause)) == -1)
		cmd_fail("%s", cause);
	for (i = 0; i < n; i++) {
		if (items[i].kind == PROTO_STATUS_U64 && items[i].keylen ==
		    12 && memcmp(items[i].key, "history_from", 12) == 0)
			from = items[i].u64;
	}
	free(p);
	free(items);
	if (o->json)
		printf("{\"history_from\":%" PRIu64 "}\n", from);
	else
		printf("history from seq %" PRIu64 "\n", from);
}

/* Send b and read the first frame of the answer, printing as for read. */
static void
changes_ask(struct client *c, struct pbuf *b, struct changes_out *o,
    struct proto_changes_end *end, int timeout_ms, int flush)
{
	char		*cause;
	uint8_t		*p;
	uint32_t	 type, len;

	if (client_request(c, b, &type, &p, &len, &cause) != 0)
		cmd_fail("%s", cause);
	if (!changes_take(c, o, end, type, p, len, flush))
		changes_read(c, o, end, timeout_ms, flush);
}

/* The paths a watch or log is limited to, as relpaths ("" the root). */
static char **
changes_paths(const char *root, char **argv, int n)
{
	struct resolved	  res;
	char		**rels, *cause;
	int		  i;

	rels = xcalloc((size_t)n + 1, sizeof *rels);
	for (i = 0; i < n; i++) {
		if (resolve_path(root, argv[i], &res, &cause) != 0)
			cmd_fail("%s", cause);
		if (res.rel == NULL)
			cmd_fail("'%s' is not under the root '%s'", argv[i],
			    root);
		rels[i] = xstrdup(res.rel);
		resolve_free(&res);
	}
	return (rels);
}

static void
changes_free_paths(char **rels)
{
	char	**p;

	for (p = rels; *p != NULL; p++)
		free(*p);
	free(rels);
}

static const struct option since_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "no-sync", no_argument, NULL, 'N' },
	{ "since", required_argument, NULL, 's' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_since(int argc, char **argv)
{
	struct changes_out		o;
	struct proto_changes_end	end;
	struct proto_since		m;
	struct client			c;
	struct pbuf			b;
	char				*root;
	int				 ch, nosync = 0;

	memset(&o, 0, sizeof o);
	o.since = 1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":0", since_opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o.json = 1;
			break;
		case '0':
			o.zero = 1;
			break;
		case 'N':
			nosync = 1;
			break;
		default:
			cmd_badopt("since", argv, ch);
		}
	}
	if (argc - optind != 1)
		cmd_usage("since", argc - optind == 0 ? "missing TOKEN (\"\""
		    " for everything)" : "one TOKEN only");
	m.flags = nosync ? 0 : PROTO_CHANGES_SYNC;
	token_parse(argv[optind], &m.db_id, &m.seq);
	cmd_connect(&c, &root);
	pbuf_init(&b);
	proto_pack_since(&b, &m);
	changes_ask(&c, &b, &o, &end, client_timeout() * 1000, 0);
	pbuf_free(&b);
	if (o.json)
		printf("{\"token\":\"%s\",\"fresh\":%s,\"partial\":%s,"
		    "\"count\":%" PRIu64 "}\n", token_fmt(end.db_id, end.seq),
		    end.flags & PROTO_END_FRESH ? "true" : "false",
		    end.flags & PROTO_END_PARTIAL ? "true" : "false", o.count);
	else
		printf("token %s%s%s%c", token_fmt(end.db_id, end.seq),
		    end.flags & PROTO_END_FRESH ? " fresh" : "",
		    end.flags & PROTO_END_PARTIAL ? " partial" : "",
		    o.zero ? '\0' : '\n');
	if (end.flags & PROTO_END_PARTIAL)
		cmd_warn("'%s' has directories the daemon cannot watch (see"
		    " depcheck status): what changed in them is not listed",
		    root);
	client_close(&c);
	free(root);
	return (0);
}

int
cmd_watch(int argc, char **argv)
{
	struct changes_out		o;
	struct proto_changes_end	end;
	struct proto_watch		m;
	struct client			c;
	struct pbuf			b;
	char				*root, **rels;
	int				 ch;

	memset(&o, 0, sizeof o);
	memset(&m, 0, sizeof m);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":0", since_opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o.json = 1;
			break;
		case '0':
			o.zero = 1;
			break;
		case 's':
			m.flags |= PROTO_WATCH_SINCE;
			token_parse(optarg, &m.db_id, &m.seq);
			o.db_id = m.db_id;
			break;
		default:
			cmd_badopt("watch", argv, ch);
		}
	}
	cmd_connect(&c, &root);
	rels = changes_paths(root, argv + optind, argc - optind);
	pbuf_init(&b);
	if (proto_pack_watch(&b, &m, rels, (size_t)(argc - optind)) != 0)
		cmd_fail("cannot watch %d paths of '%s': too many or too long",
		    argc - optind, root);
	memset(&end, 0, sizeof end);
	end.seq = m.seq;
	/* The replay; then the live stream, which ends only by a fault. */
	changes_ask(&c, &b, &o, &end, client_timeout() * 1000, 1);
	pbuf_free(&b);
	changes_free_paths(rels);
	o.db_id = end.db_id;
	for (;;) {
		if (end.flags & PROTO_END_OVERRUN) {
			if (o.json)
				printf("{\"overrun\":true,\"token\":\"%s\"}\n",
				    token_fmt(end.db_id, end.seq));
			else
				printf("overrun %s%c", token_fmt(end.db_id,
				    end.seq), o.zero ? '\0' : '\n');
			cmd_flush();
			cmd_fail("this watch fell behind the daemon for '%s'"
			    " and was dropped (resume with --since %s)", root,
			    token_fmt(end.db_id, end.seq));
		}
		if (!(end.flags & PROTO_END_LIVE))
			cmd_fail("bad reply from the daemon for '%s': an end"
			    " that is not live", root);
		if (end.flags & PROTO_END_PARTIAL)
			cmd_warn("'%s' has directories the daemon cannot watch"
			    " (see depcheck status): what changes in them is"
			    " not shown", root);
		if (o.json)
			printf("{\"token\":\"%s\",\"live\":true}\n",
			    token_fmt(end.db_id, end.seq));
		else
			printf("token %s%c", token_fmt(end.db_id, end.seq),
			    o.zero ? '\0' : '\n');
		cmd_flush();
		changes_read(&c, &o, &end, -1, 1);
	}
}

int
cmd_log(int argc, char **argv)
{
	struct changes_out		o;
	struct proto_changes_end	end;
	struct client			c;
	struct pbuf			b;
	char				*root, **rels, *end_p;
	uint64_t			 max = 0;
	int				 ch;

	memset(&o, 0, sizeof o);
	o.log = 1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":n:", cmd_json_opts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			o.json = 1;
			break;
		case 'n':
			max = strtoull(optarg, &end_p, 10);
			if (*optarg == '\0' || *end_p != '\0' || max == 0 ||
			    *optarg == '-')
				cmd_usage("log", "bad -n '%s' (a count of 1 or"
				    " more)", optarg);
			break;
		default:
			cmd_badopt("log", argv, ch);
		}
	}
	cmd_connect(&c, &root);
	rels = changes_paths(root, argv + optind, argc - optind);
	pbuf_init(&b);
	if (proto_pack_log(&b, PROTO_CHANGES_SYNC, max, rels,
	    (size_t)(argc - optind)) != 0)
		cmd_fail("cannot ask for the log of %d paths of '%s': too many"
		    " or too long", argc - optind, root);
	changes_header(&c, &o);
	changes_ask(&c, &b, &o, &end, client_timeout() * 1000, 0);
	pbuf_free(&b);
	changes_free_paths(rels);
	client_close(&c);
	free(root);
	return (0);
}
