/*
 * depcheck [check]: is TARGET older than its dependencies?  Gathers the
 * facts (the daemon's seqs for paths under the root, mtimes elsewhere or
 * without a daemon), lets compare.c decide, and explains (--why, --newer,
 * --json).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"
#include "client.h"
#include "cmd.h"
#include "compare.h"
#include "fallback.h"
#include "depfile.h"
#include "json.h"
#include "resolve.h"

struct item {
	struct resolved		res;
	struct compare_fact	fact;
	int			queried;	/* asked the daemon */
};


/*
 * Ask the daemon for every item under the root, in as many QUERY frames
 * as the protocol's bounds need; only the first one syncs (the later
 * ones are answered from a state at least as new).
 */
static int
check_query(struct client *c, struct item *items, int n, int sync,
    uint64_t *first_high, char **cause)
{
	struct proto_record	*recs;
	struct pbuf		 b;
	char			**paths;
	uint8_t			*p;
	uint32_t		 type, len;
	uint64_t		 high;
	const char		*why;
	size_t			 size;
	int			 i, j, k, count, *idx, rc = 0;

	paths = xcalloc((size_t)n, sizeof *paths);
	idx = xcalloc((size_t)n, sizeof *idx);
	recs = xcalloc(n < PROTO_MAX_PATHS ? (size_t)n : PROTO_MAX_PATHS,
	    sizeof *recs);
	pbuf_init(&b);
	for (i = 0; i < n && rc == 0; i = j) {
		count = 0;
		size = 8;
		for (j = i; j < n; j++) {
			if (!items[j].queried || items[j].res.rel == NULL)
				continue;
			if (count == PROTO_MAX_PATHS || size + 4 +
			    strlen(items[j].res.rel) > PROTO_MAX_MSG)
				break;
			size += 4 + strlen(items[j].res.rel);
			idx[count] = j;
			paths[count++] = items[j].res.rel;
		}
		if (count == 0)
			break;
		pbuf_reset(&b);
		if (proto_pack_query(&b, sync ? PROTO_QUERY_SYNC : 0, paths,
		    (size_t)count) != 0) {
			xasprintf(cause, "cannot ask the daemon for '%s' about"
			    " %d paths: the query is too large (at most %d"
			    " paths, %zu bytes)", c->root, count,
			    PROTO_MAX_PATHS, PROTO_MAX_MSG);
			rc = -1;
			break;
		}
		if (client_request(c, &b, &type, &p, &len, cause) != 0) {
			rc = -1;
			break;
		}
		if (type != PROTO_MSG_RECORDS || proto_unpack_records(p, len,
		    &high, recs, (uint32_t)count, &why) != 0) {
			xasprintf(cause, "bad reply from the daemon for '%s':"
			    " %s", c->root, type != PROTO_MSG_RECORDS ?
			    "not records" : why);
			free(p);
			rc = -1;
			break;
		}
		free(p);
		if (sync)
			*first_high = high;
		sync = 0;
		for (k = 0; k < count; k++) {
			struct compare_fact *f = &items[idx[k]].fact;

			if (recs[k].state == PROTO_UNWATCHED)
				continue;	/* keep the mtime facts */
			f->rule = COMPARE_SEQ;
			f->exists = recs[k].state == PROTO_EXISTS ||
			    recs[k].state == PROTO_FIRST_SIGHT;
			f->first = recs[k].state == PROTO_FIRST_SIGHT;
			f->seq = recs[k].seq;
			f->built_from = recs[k].built_from;
		}
	}
	pbuf_free(&b);
	free(recs);
	free(idx);
	free(paths);
	return (rc);
}

static const char *
check_rule_name(int rule)
{
	return (rule == COMPARE_SEQ ? "seq" : rule == COMPARE_FIRST ?
	    "first-sight" : "mtime");
}

static void
check_why(const struct item *t, const struct item *deps,
    const struct compare_dep *out, int n, int verdict)
{
	const struct compare_fact	*tf = &t->fact, *df, *newest = NULL;
	int				 i, by_mtime = 0, by_seq = 0;
	int				 by_first = 0;

	if (verdict == EXIT_TROUBLE)
		return;
	if (!tf->exists) {
		cmd_warn("%s is stale: it does not exist", tf->arg);
		return;
	}
	if (tf->rule == COMPARE_SEQ && tf->built_from == PROTO_BUILT_FAILED &&
	    verdict == EXIT_STALE) {
		cmd_warn("%s is stale: the recipe that last wrote it failed",
		    tf->arg);
		return;
	}
	for (i = 0; i < n; i++) {
		df = &deps[i].fact;
		if (!df->exists)
			continue;	/* said already, by check_paths */
		if (out[i].rule == COMPARE_SEQ)
			by_seq = 1;
		else
			by_mtime = 1;
		if (out[i].rule == COMPARE_FIRST)
			by_first = 1;
		if (!out[i].newer) {
			if (newest == NULL || (out[i].rule == COMPARE_SEQ ?
			    df->seq > newest->seq :
			    df->mtime_ns > newest->mtime_ns))
				newest = df;
			continue;
		}
		if (out[i].rule == COMPARE_SEQ && df->seq < tf->seq)
			cmd_warn("%s is stale: %s written while its recipe ran"
			    " (seq %" PRIu64 ", the recipe started at seq %"
			    PRIu64 ")", tf->arg, df->arg, df->seq,
			    compare_target_seq(tf));
		else if (out[i].rule == COMPARE_SEQ)
			cmd_warn("%s is stale: %s written %s (seq %" PRIu64
			    " %s %" PRIu64 ")", tf->arg, df->arg,
			    df->seq > tf->seq ? "after it" : "at the same seq",
			    df->seq, df->seq > tf->seq ? ">" : "=", tf->seq);
		else
			cmd_warn("%s is stale: %s not older by mtime%s"
			    " (%" PRId64 ".%09" PRId64 " >= %" PRId64 ".%09"
			    PRId64 ")", tf->arg, df->arg, out[i].rule ==
			    COMPARE_FIRST ? ", both first seen by a crawl" :
			    "",
			    df->mtime_ns / 1000000000,
			    df->mtime_ns % 1000000000,
			    tf->mtime_ns / 1000000000,
			    tf->mtime_ns % 1000000000);
	}
	if (verdict != EXIT_FRESH)
		return;
	if (n != 0 && newest == NULL)
		return;		/* no dependency exists: never fresh */
	if (n == 0)
		cmd_warn("%s is up to date: it exists and has no"
		    " dependencies", tf->arg);
	else if (!by_mtime)
		cmd_warn("%s is up to date: %d dependenc%s written before it"
		    " (newest %s, seq %" PRIu64 " < %" PRIu64 ")", tf->arg, n,
		    n == 1 ? "y" : "ies", newest->arg, newest->seq,
		    compare_target_seq(tf));
	else
		cmd_warn("%s is up to date: %d dependenc%s older by %s"
		    " (newest %s)%s", tf->arg, n, n == 1 ? "y" : "ies",
		    by_seq ? "seq and mtime" : "mtime",
		    newest->arg, by_first ? "; first seen by a crawl, never"
		    " written since: decided by mtime" : "");
}

static void
check_json(const struct item *t, const struct item *deps,
    const struct compare_dep *out, int n, int verdict)
{
	int	i;

	fputc('{', stdout);
	json_put_path(stdout, "target", t->fact.arg);
	printf(",\"exit\":%d,\"stale\":%s,\"target_exists\":%s", verdict,
	    verdict == EXIT_STALE ? "true" : "false",
	    t->fact.exists ? "true" : "false");
	if (t->fact.rule == COMPARE_SEQ)
		printf(",\"target_seq\":%" PRIu64, t->fact.seq);
	else
		printf(",\"target_seq\":null");
	if (t->fact.built_from != 0)
		printf(",\"target_built_from\":%" PRIu64, t->fact.built_from);
	else
		printf(",\"target_built_from\":null");
	printf(",\"target_first_sight\":%s", t->fact.first ? "true" : "false");
	printf(",\"rule\":\"%s\",\"deps\":[", check_rule_name(t->fact.rule));
	for (i = 0; i < n; i++) {
		printf("%s{", i == 0 ? "" : ",");
		json_put_path(stdout, "path", deps[i].fact.arg);
		printf(",\"exists\":%s", deps[i].fact.exists ? "true" :
		    "false");
		if (deps[i].fact.rule == COMPARE_SEQ)
			printf(",\"seq\":%" PRIu64, deps[i].fact.seq);
		else
			printf(",\"seq\":null");
		printf(",\"first_sight\":%s,\"rule\":\"%s\",\"newer\":%s}",
		    deps[i].fact.first ? "true" : "false",
		    check_rule_name(out[i].rule),
		    out[i].newer ? "true" : "false");
	}
	printf("]}\n");
}

/* The no-daemon warning went out (a depfile checks many targets). */
static int	nodaemon_said;

int
check_paths(const struct check_opts *o, char **argv, int n,
    struct check_result *res)
{
	struct client		*c = &res->client;
	struct item		*items;
	struct compare_fact	*facts;
	struct compare_dep	*out;
	char			*root, *cause;
	int			 i, found, connected = 0, verdict, nquery = 0;

	memset(res, 0, sizeof *res);
	if ((found = client_find_root(&root, &cause)) == -1)
		cmd_fail("%s", cause);
	items = xcalloc((size_t)n, sizeof *items);
	for (i = 0; i < n; i++) {
		items[i].fact.arg = argv[i];
		items[i].fact.rule = COMPARE_MTIME;
		if (resolve_path(root, argv[i], &items[i].res, &cause) != 0)
			cmd_fail("%s", cause);
		if (items[i].res.have_st)
			fallback_fact(&items[i].res.st, &items[i].fact);
		else if (fallback_stat(argv[i], &items[i].fact, &cause) != 0)
			cmd_fail("%s", cause);
		if (items[i].res.dangling)
			items[i].fact.exists = 0;
		if (items[i].res.rel != NULL && !items[i].res.dangling) {
			items[i].queried = 1;
			nquery++;
		}
	}

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (found == 0 && nquery > 0) {
		/* The HELLO goes out with the first QUERY: one round trip. */
		switch (client_open(c, root, &cause)) {
		case -1:
			cmd_fail("%s", cause);
		case 0:
			connected = 1;
			break;
		}
	}
	if (!connected && nquery > 0) {
		if (o->strict)
			cmd_fail("no daemon for '%s' (run: depcheck start)",
			    root);
		if (!nodaemon_said)	/* once, for many depfile targets */
			cmd_warn("no daemon for '%s'; comparing mtimes (equal"
			    " counts as stale)", root);
		nodaemon_said = 1;
	}
	/*
	 * depcheck run syncs even when the target is missing: the synced
	 * high-water seq is where its recorded build starts, and an unsynced
	 * one would let a source written just before the recipe count as
	 * written during it (rebuilt again next time).
	 */
	if (connected && check_query(c, items, n, !o->nosync, &res->high,
	    &cause) != 0)
		cmd_fail("%s", cause);
	if (!o->run)
		client_close(c);

	facts = xcalloc((size_t)n, sizeof *facts);
	out = xcalloc((size_t)n, sizeof *out);
	for (i = 0; i < n; i++)
		facts[i] = items[i].fact;
	verdict = compare_check(&facts[0], facts + 1, n - 1, out);
	for (i = 1; i < n; i++) {
		if (facts[i].exists)
			continue;
		if (o->run) {
			verdict = EXIT_STALE;
			if (o->why)
				cmd_warn("%s is stale: %s does not exist"
				    " (phony)", facts[0].arg, facts[i].arg);
		} else
			cmd_warn("dependency '%s' does not exist",
			    facts[i].arg);
	}
	if (o->why)
		check_why(&items[0], items + 1, out, n - 1, verdict);
	if (o->newer) {
		for (i = 1; i < n; i++) {
			if (out[i - 1].newer && facts[i].exists)
				printf("%s%c", facts[i].arg,
				    o->zero ? '\0' : '\n');
		}
	}
	if (o->json)
		check_json(&items[0], items + 1, out, n - 1, verdict);
	cmd_flush();

	res->connected = connected;
	res->root = root;
	if (items[0].queried && items[0].fact.rule == COMPARE_SEQ) {
		res->target_rel = items[0].res.rel;
		items[0].res.rel = NULL;
	}
	for (i = 0; i < n; i++)
		resolve_free(&items[i].res);
	free(items);
	free(facts);
	free(out);
	return (verdict);
}

void
check_result_free(struct check_result *res)
{
	free(res->root);
	free(res->target_rel);
	client_close(&res->client);
}

/* Read FILE whole; exits with a message if it cannot. */
static char *
check_read_file(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 cap = 0, n;

	*len = 0;
	if ((f = fopen(path, "r")) == NULL)
		cmd_fail("cannot read '%s': %s", path, strerror(errno));
	for (;;) {
		if (*len == cap) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		cmd_fail("cannot read '%s': %s", path, strerror(errno));
	fclose(f);
	return (buf);
}

/*
 * --depfile: each target of the depfiles that has prerequisites, checked
 * against them as a check of its own.  The worst verdict wins: an error
 * (2) over stale (1) over up to date (0).
 */
static int
check_depfiles(const struct check_opts *o, char **files, size_t nfiles)
{
	struct depfile		 df;
	struct check_result	 res;
	struct depfile_target	*t;
	char			*buf, *cause, **argv;
	size_t			 i, len;
	int			 v, verdict = EXIT_FRESH;

	depfile_init(&df);
	for (i = 0; i < nfiles; i++) {
		buf = check_read_file(files[i], &len);
		if (depfile_parse(&df, buf, len, files[i], &cause) != 0)
			cmd_fail("%s", cause);
		free(buf);
	}
	for (i = 0; i < df.ntargets; i++) {
		t = &df.targets[i];
		argv = xreallocarray(NULL, t->ndeps + 2, sizeof *argv);
		argv[0] = t->name;
		memcpy(argv + 1, t->deps, t->ndeps * sizeof *argv);
		argv[t->ndeps + 1] = NULL;
		v = check_paths(o, argv, (int)t->ndeps + 1, &res);
		check_result_free(&res);
		free(argv);
		if (v > verdict)
			verdict = v;
	}
	depfile_free(&df);
	return (verdict);
}

int
cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "why",	no_argument, NULL, 'v' },
		{ "newer",	no_argument, NULL, 'n' },
		{ "json",	no_argument, NULL, 'j' },
		{ "strict",	no_argument, NULL, 's' },
		{ "no-sync",	no_argument, NULL, 'S' },
		{ "depfile",	required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct check_opts	 o;
	struct check_result	 res;
	char			**depfiles;
	size_t			 ndepfiles = 0;
	int			 ch, verdict = EXIT_FRESH, v;

	memset(&o, 0, sizeof o);
	depfiles = xcalloc((size_t)argc, sizeof *depfiles);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":vn0", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v': o.why = 1; break;
		case 'n': o.newer = 1; break;
		case '0': o.zero = 1; break;
		case 'j': o.json = 1; break;
		case 's': o.strict = 1; break;
		case 'S': o.nosync = 1; break;
		case 'd': depfiles[ndepfiles++] = optarg; break;
		default:
			cmd_badopt("check", argv, ch);
		}
	}
	if (cmd_strict_env())
		o.strict = 1;
	if (argc - optind < 1 && ndepfiles == 0)
		cmd_usage("check", "missing TARGET");
	if (ndepfiles > 0)
		verdict = check_depfiles(&o, depfiles, ndepfiles);
	free(depfiles);
	if (argc - optind >= 1) {
		v = check_paths(&o, argv + optind, argc - optind, &res);
		check_result_free(&res);
		if (v > verdict)
			verdict = v;
	}
	return (verdict);
}
