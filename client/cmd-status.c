/*
 * depcheck status and seq: what the daemon knows, for people (key: value
 * lines) and programs (--json).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xmalloc.h"
#include "client.h"
#include "cmd.h"
#include "json.h"
#include "resolve.h"

/* Connect to the daemon of the discovered root, or fail. */
static void
status_connect(struct client *c, char **root)
{
	char	*cause;

	if (client_find_root(root, &cause) == -1)
		cmd_fail("%s", cause);
	switch (client_connect(c, *root, &cause)) {
	case 1:
		cmd_fail("no daemon for '%s' (run: depcheck start)", *root);
	case -1:
		cmd_fail("%s", cause);
	}
}

static int
status_is_number(const uint8_t *p, uint32_t len)
{
	uint32_t	i;

	if (len == 0 || len > 18)
		return (0);
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (0);
	}
	return (1);
}

int
cmd_status(int argc, char **argv)
{
	struct client	 c;
	struct preader	 r;
	const uint8_t	*k, *v;
	uint8_t		*p;
	uint32_t	 len, n, i, klen, vlen;
	char		*root, *cause, *key, *val;
	int		 json = 0;

	if (argc >= 2 && strcmp(argv[1], "--json") == 0)
		json = 1;
	if (argc > 1 + json)
		cmd_usage("status", "unexpected argument '%s'",
		    argv[1 + json]);
	status_connect(&c, &root);
	if (client_simple(&c, PROTO_MSG_STATUS, PROTO_MSG_STATUS_OK, &p, &len,
	    &cause) != 0)
		cmd_fail("%s", cause);
	preader_init(&r, p, len);
	if (preader_u32(&r, &n) != 0)
		cmd_fail("bad status reply from the daemon for '%s'", root);
	if (json)
		fputc('{', stdout);
	for (i = 0; i < n; i++) {
		if (preader_bytes(&r, &k, &klen, 256) != 0 ||
		    preader_bytes(&r, &v, &vlen, PROTO_MAX_MSG) != 0)
			cmd_fail("bad status reply from the daemon for '%s'",
			    root);
		key = xstrndup((const char *)k, klen);
		val = xstrndup((const char *)v, vlen);
		if (!json)
			printf("%s: %s\n", key, val);
		else {
			if (i != 0)
				fputc(',', stdout);
			json_put_string(stdout, key, klen);
			fputc(':', stdout);
			if (status_is_number(v, vlen))
				fputs(val, stdout);
			else
				json_put_string(stdout, val, vlen);
		}
		free(key);
		free(val);
	}
	if (json)
		fputs("}\n", stdout);
	free(p);
	client_close(&c);
	free(root);
	return (0);
}

static const char *
seq_state_name(uint32_t state)
{
	switch (state) {
	case PROTO_EXISTS:	return ("exists");
	case PROTO_MISSING:	return ("missing");
	}
	return ("unwatched");
}

int
cmd_seq(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct client		 c;
	struct resolved		*res;
	struct proto_record	*recs;
	struct pbuf		 b;
	const char		*why;
	char			*root, *cause, **rels;
	uint8_t			*p;
	uint32_t		 type, len;
	uint64_t		 high;
	int			 ch, json = 0, n, i, nrel = 0, k;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch != 'j')
			cmd_badopt("seq", argv, ch);
		json = 1;
	}
	n = argc - optind;
	if (n < 1)
		cmd_usage("seq", "missing PATH");
	if (n > PROTO_MAX_PATHS)
		cmd_usage("seq", "too many paths (at most %d)",
		    PROTO_MAX_PATHS);
	status_connect(&c, &root);
	res = xcalloc((size_t)n, sizeof *res);
	rels = xcalloc((size_t)n, sizeof *rels);
	recs = xcalloc((size_t)n, sizeof *recs);
	for (i = 0; i < n; i++) {
		if (resolve_path(root, argv[optind + i], &res[i], &cause) != 0)
			cmd_fail("%s", cause);
		if (res[i].rel != NULL)
			rels[nrel++] = res[i].rel;
	}
	pbuf_init(&b);
	if (proto_pack_query(&b, PROTO_QUERY_SYNC, rels, (size_t)nrel) != 0)
		cmd_fail("paths too long for one query");
	if (client_request(&c, &b, &type, &p, &len, &cause) != 0)
		cmd_fail("%s", cause);
	if (type != PROTO_MSG_RECORDS || proto_unpack_records(p, len, &high,
	    recs, (uint32_t)nrel, &why) != 0)
		cmd_fail("bad reply from the daemon for '%s'", root);
	if (json)
		printf("{\"seq\":%" PRIu64 ",\"paths\":[", high);
	for (i = 0, k = 0; i < n; i++) {
		struct proto_record	 none = { PROTO_UNWATCHED, 0, 0, 0 };
		struct proto_record	*rec = res[i].rel != NULL ?
		    &recs[k++] : &none;
		const char		*state = res[i].rel != NULL ?
		    seq_state_name(rec->state) : "outside";

		if (!json) {
			if (rec->state == PROTO_UNWATCHED)
				printf("- %s - %s\n", state, argv[optind + i]);
			else
				printf("%" PRIu64 " %s %s %s\n", rec->seq,
				    state, cmd_time(rec->wtime_ns),
				    argv[optind + i]);
			continue;
		}
		printf("%s{", i == 0 ? "" : ",");
		json_put_path(stdout, "path", argv[optind + i]);
		if (rec->state == PROTO_UNWATCHED)
			printf(",\"seq\":null");
		else
			printf(",\"seq\":%" PRIu64, rec->seq);
		printf(",\"state\":\"%s\",\"written\":", state);
		if (rec->wtime_ns > 0)
			printf("\"%s\"}", cmd_time(rec->wtime_ns));
		else
			printf("null}");
	}
	if (json)
		printf("]}\n");
	free(p);
	pbuf_free(&b);
	for (i = 0; i < n; i++)
		resolve_free(&res[i]);
	free(res);
	free(rels);
	free(recs);
	client_close(&c);
	free(root);
	return (0);
}
