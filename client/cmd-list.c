/*
 * depcheck list and depcheck stop --all: every daemon of this user, found
 * in the registry that each daemon keeps an entry in (proto/registry.h),
 * then asked for its status or to stop.
 */
#include <sys/file.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "xmalloc.h"
#include "registry.h"
#include "client.h"
#include "cmd.h"
#include "json.h"

/* What one daemon said about itself. */
struct list_daemon {
	pid_t		 pid;
	const char	*root;		/* borrowed from the registry entry */
	char		*error;		/* why it does not answer, or NULL */
	uint64_t	 uptime;
	uint64_t	 records;
	uint64_t	 memory;
	uint64_t	 seq;
	uint64_t	 idle_exit;
};

/* Open this user's registry: the descriptor, or -1 when there is none. */
static int
list_registry(void)
{
	char	*path, *cause;
	int	 fd;

	path = registry_path();
	if ((fd = registry_open(path, 0, &cause)) == -1)
		cmd_fail("%s", cause);
	free(path);
	return (fd < 0 ? -1 : fd);
}

/* Set the field an item names, if it is one list shows. */
static void
list_field(struct list_daemon *ld, const struct proto_status_item *it)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} fields[] = {
		{ "uptime", offsetof(struct list_daemon, uptime) },
		{ "records", offsetof(struct list_daemon, records) },
		{ "memory", offsetof(struct list_daemon, memory) },
		{ "seq", offsetof(struct list_daemon, seq) },
		{ "idle_exit", offsetof(struct list_daemon, idle_exit) },
	};
	uint64_t	*field;
	size_t		 i;

	for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		if (it->keylen != strlen(fields[i].key) ||
		    memcmp(it->key, fields[i].key, it->keylen) != 0)
			continue;
		field = (uint64_t *)((char *)ld + fields[i].off);
		if (it->kind == PROTO_STATUS_U64)
			*field = it->u64;
		else if (it->kind == PROTO_STATUS_I64 && it->i64 >= 0)
			*field = (uint64_t)it->i64;
		return;
	}
}

/* Ask the daemon of e for its status; its error, if any, in ld. */
static void
list_ask(const struct registry_entry *e, struct list_daemon *ld)
{
	struct proto_status_item	*items = NULL;
	struct client			 c;
	uint8_t				*p = NULL;
	char				*cause = NULL;
	int				 n, i;

	memset(ld, 0, sizeof *ld);
	ld->pid = e->pid;
	ld->root = e->root;
	switch (client_connect(&c, e->root, &cause)) {
	case 1:
		xasprintf(&ld->error, "no socket answers for '%s'", e->root);
		goto out;
	case -1:
		ld->error = cause;
		goto out;
	}
	if (c.daemon_pid != (uint64_t)e->pid) {
		/* Its state directory went; another daemon has the root. */
		xasprintf(&ld->error, "'%s' is served by pid %" PRIu64 " now",
		    e->root, c.daemon_pid);
		goto out;
	}
	items = xcalloc(PROTO_MAX_STATUS, sizeof *items);
	if ((n = client_status(&c, items, &p, &cause)) == -1) {
		ld->error = cause;
		goto out;
	}
	for (i = 0; i < n; i++)
		list_field(ld, &items[i]);
out:
	free(items);
	free(p);
	client_close(&c);
}

/* 42s, 5m12s, 2h03m, 3d04h */
static const char *
list_duration(uint64_t s)
{
	static char	buf[32];

	if (s < 60)
		snprintf(buf, sizeof buf, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, sizeof buf, "%" PRIu64 "m%02" PRIu64 "s",
		    s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, sizeof buf, "%" PRIu64 "h%02" PRIu64 "m",
		    s / 3600, s / 60 % 60);
	else
		snprintf(buf, sizeof buf, "%" PRIu64 "d%02" PRIu64 "h",
		    s / 86400, s / 3600 % 24);
	return (buf);
}

/* 900K, 12.3M, 1.2G */
static const char *
list_size(uint64_t bytes)
{
	static char	buf[32];

	if (bytes < 1024ULL * 1024)
		snprintf(buf, sizeof buf, "%" PRIu64 "K", bytes / 1024);
	else if (bytes < 1024ULL * 1024 * 1024)
		snprintf(buf, sizeof buf, "%.1fM",
		    (double)bytes / (1024 * 1024));
	else
		snprintf(buf, sizeof buf, "%.1fG",
		    (double)bytes / (1024 * 1024 * 1024));
	return (buf);
}

static void
list_json(const struct list_daemon *ld, size_t n)
{
	size_t	i;

	printf("{\"daemons\":[");
	for (i = 0; i < n; i++) {
		printf("%s{\"pid\":%ld,", i == 0 ? "" : ",", (long)ld[i].pid);
		json_put_path(stdout, "root", ld[i].root);
		if (ld[i].error != NULL) {
			printf(",\"answering\":false,\"error\":");
			json_put_string(stdout, ld[i].error,
			    strlen(ld[i].error));
			printf("}");
			continue;
		}
		printf(",\"answering\":true,\"uptime\":%" PRIu64
		    ",\"records\":%" PRIu64 ",\"memory\":%" PRIu64
		    ",\"seq\":%" PRIu64 ",\"idle_exit\":%" PRIu64 "}",
		    ld[i].uptime, ld[i].records, ld[i].memory, ld[i].seq,
		    ld[i].idle_exit);
	}
	printf("]}\n");
}

static void
list_text(const struct list_daemon *ld, size_t n)
{
	size_t	i;

	if (n == 0)
		return;
	printf("%-8s %8s %9s %8s  %s\n", "PID", "UPTIME", "RECORDS",
	    "MEMORY", "ROOT");
	for (i = 0; i < n; i++) {
		if (ld[i].error != NULL) {
			printf("%-8ld %8s %9s %8s  %s\n", (long)ld[i].pid, "-",
			    "-", "-", ld[i].root);
			continue;
		}
		printf("%-8ld %8s %9" PRIu64, (long)ld[i].pid,
		    list_duration(ld[i].uptime), ld[i].records);
		printf(" %8s  %s\n", list_size(ld[i].memory), ld[i].root);
	}
}

int
cmd_list(int argc, char **argv)
{
	struct registry_entry	*e = NULL;
	struct list_daemon	*ld;
	size_t			 n = 0, i;
	int			 ch, json = 0, fd;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", cmd_json_opts, NULL)) != -1) {
		if (ch != 'j')
			cmd_badopt("list", argv, ch);
		json = 1;
	}
	if (optind < argc)
		cmd_usage("list", "unexpected argument '%s'", argv[optind]);
	if ((fd = list_registry()) != -1) {
		n = registry_list(fd, &e);
		close(fd);
	}
	ld = xcalloc(n + 1, sizeof *ld);
	for (i = 0; i < n; i++) {
		list_ask(&e[i], &ld[i]);
		if (ld[i].error != NULL)
			cmd_warn("pid %ld, registered for '%s', does not"
			    " answer: %s", (long)e[i].pid, e[i].root,
			    ld[i].error);
	}
	if (json)
		list_json(ld, n);
	else
		list_text(ld, n);
	for (i = 0; i < n; i++)
		free(ld[i].error);
	free(ld);
	registry_free(e, n);
	return (0);
}

static volatile sig_atomic_t	list_expired;

static void
list_alarm(int sig)
{
	(void)sig;
	list_expired = 1;
}

/*
 * Ask one daemon to stop: by a STOP request, or, when it does not answer
 * as the registered pid, by SIGTERM while its entry is still locked (so
 * the pid is still that daemon's).  0, or -1 after saying why.
 */
static int
list_stop_one(const struct registry_entry *e, int entryfd)
{
	struct client	 c;
	char		*cause = NULL;
	int		 rc;

	rc = client_connect(&c, e->root, &cause);
	if (rc == 0 && c.daemon_pid == (uint64_t)e->pid &&
	    client_stop(&c, &cause) == 0) {
		client_close(&c);
		return (0);
	}
	client_close(&c);
	free(cause);
	if (flock(entryfd, LOCK_SH | LOCK_NB) == 0)
		return (0);		/* gone meanwhile */
	if (kill(e->pid, SIGTERM) != 0) {
		cmd_warn("cannot stop pid %ld for '%s': %s", (long)e->pid,
		    e->root, strerror(errno));
		return (-1);
	}
	return (0);
}

int
list_stop_all(void)
{
	struct registry_entry	*e;
	struct sigaction	 sa;
	size_t			 n, i;
	long			 timeout = client_timeout();
	int			 fd, *fds, status = 0;

	if ((fd = list_registry()) == -1)
		return (0);
	n = registry_list(fd, &e);
	fds = xcalloc(n + 1, sizeof *fds);
	for (i = 0; i < n; i++) {
		/* Opened first: its lock goes when the daemon has exited. */
		if ((fds[i] = registry_entry_open(fd, e[i].pid)) == -1)
			continue;
		if (list_stop_one(&e[i], fds[i]) != 0) {
			status = EXIT_TROUBLE;
			close(fds[i]);
			fds[i] = -1;
		}
	}
	close(fd);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = list_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)timeout);
	for (i = 0; i < n; i++) {
		if (fds[i] == -1)
			continue;
		if (flock(fds[i], LOCK_SH | (list_expired ? LOCK_NB : 0)) !=
		    0) {
			cmd_warn("daemon pid %ld for '%s' did not stop within"
			    " %ld s", (long)e[i].pid, e[i].root, timeout);
			status = EXIT_TROUBLE;
		}
		close(fds[i]);
	}
	alarm(0);
	free(fds);
	registry_free(e, n);
	return (status);
}
