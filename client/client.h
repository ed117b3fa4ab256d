/*
 * Talking to the daemon: root discovery, connect and handshake, one
 * request and its reply.  Used by every cmd-*.c file.
 */
#ifndef CLIENT_H
#define CLIENT_H

#include <stdint.h>

#include "proto.h"

struct client {
	int		 fd;
	char		*root;		/* absolute, resolved */
	uint64_t	 daemon_pid;
	int		 refused;	/* state dir or socket not ours */
};

/*
 * Find the root: DEPCHECK_ROOT, else the nearest directory at or above
 * the working directory holding .depcheck/.  Returns 0 and an allocated
 * resolved root, 1 if there is none (root is then the working directory),
 * or -1 with an allocated cause.
 */
int	 client_find_root(char **, char **);
/* Resolve a DIR argument to a root; -1 with an allocated cause. */
int	 client_root_arg(const char *, char **, char **);
/*
 * Connect to the daemon of root (borrowed; copied) and shake hands.
 * Returns 0, 1 when no daemon runs there, or -1 with an allocated cause.
 */
int	 client_connect(struct client *, const char *, char **);
/* Ask the daemon to stop: 0 once it said it will, or -1 with a cause. */
int	 client_stop(struct client *, char **);
void	 client_close(struct client *);
/*
 * DEPCHECK_TIMEOUT: seconds to wait for a reply, for a daemon to answer
 * after start or to exit after stop (1 to 86400; default 30).
 */
int	 client_timeout(void);
/*
 * Send the frame in b and read one reply.  Returns 0 with the reply type
 * and an allocated payload, or -1 with an allocated cause (an ERROR reply
 * becomes its message).
 */
int	 client_request(struct client *, struct pbuf *, uint32_t *,
	     uint8_t **, uint32_t *, char **);
/* A request with an empty payload whose reply must be of type want. */
int	 client_simple(struct client *, uint32_t, uint32_t, uint8_t **,
	     uint32_t *, char **);
/*
 * Ask for the daemon's status.  items[] (PROTO_MAX_STATUS of them) point
 * into *payload, allocated, which the caller frees.  Returns the number
 * of items, or -1 with an allocated cause.
 */
int	 client_status(struct client *, struct proto_status_item *,
	     uint8_t **, char **);

#endif
