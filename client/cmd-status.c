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

/* One item as "key: value" text, or as a JSON member of its own type. */
static void
status_put(const struct proto_status_item *it, int json)
{
	if (json) {
		json_put_string(stdout, it->key, it->keylen);
		fputc(':', stdout);
	} else
		printf("%.*s: ", (int)it->keylen, it->key);
	switch (it->kind) {
	case PROTO_STATUS_U64:
		printf("%" PRIu64, it->u64);
		break;
	case PROTO_STATUS_I64:
		printf("%" PRId64, it->i64);
		break;
	default:
		if (json)
			json_put_string(stdout, it->text, it->textlen);
		else
			fwrite(it->text, 1, it->textlen, stdout);
		break;
	}
	if (!json)
		fputc('\n', stdout);
}

int
cmd_status(int argc, char **argv)
{
	struct proto_status_item	*items;
	struct client			 c;
	uint8_t				*p;
	char				*root, *cause;
	int				 ch, json = 0, n, i;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", cmd_json_opts, NULL)) != -1) {
		if (ch != 'j')
			cmd_badopt("status", argv, ch);
		json = 1;
	}
	if (optind < argc)
		cmd_usage("status", "unexpected argument '%s'", argv[optind]);
	cmd_connect(&c, &root);
	items = xcalloc(PROTO_MAX_STATUS, sizeof *items);
	if ((n = client_status(&c, items, &p, &cause)) == -1)
		cmd_fail("%s", cause);
	if (json)
		fputc('{', stdout);
	for (i = 0; i < n; i++) {
		if (json && i != 0)
			fputc(',', stdout);
		status_put(&items[i], json);
	}
	if (json)
		fputs("}\n", stdout);
	free(items);
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
	case PROTO_FIRST_SIGHT:	return ("first-sight");
	case PROTO_MISSING:	return ("missing");
	}
	return ("unwatched");
}

int
cmd_seq(int argc, char **argv)
{
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
	while ((ch = getopt_long(argc, argv, ":", cmd_json_opts, NULL)) != -1) {
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
	cmd_connect(&c, &root);
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
		cmd_fail("cannot ask the daemon for '%s' about %d paths: the"
		    " query is too large (at most %zu bytes)", root, nrel,
		    PROTO_MAX_MSG);
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
