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
	uint64_t	 daemon_pid;	/* once HELLO_OK was read */
	int		 refused;	/* state dir or socket not ours */
	int		 hello_pending;	/* goes out with the next request */
	int		 lost;		/* the last request found it closed */
	struct pbuf	 in;		/* read, from inoff on not yet used */
	size_t		 inoff;
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
/*
 * Connect as client_connect does, but leave the HELLO to go out with the
 * first request, in the same write (one round trip for both); a version
 * mismatch is then that request's error.  Returns 0, 1 or -1 likewise.
 */
int	 client_open(struct client *, const char *, char **);
/* Ask the daemon to stop: 0 once it said it will, or -1 with a cause. */
int	 client_stop(struct client *, char **);
void	 client_close(struct client *);
/*
 * DEPCHECK_TIMEOUT: seconds to wait for a reply, for a daemon to answer
 * after start or to exit after stop (1 to 86400; default 30).
 */
int	 client_timeout(void);
/*
 * Send the frame in b and read one reply (after a pending HELLO's, which
 * goes out in the same write; b NULL sends the HELLO alone).  Returns 0
 * with the reply type and an allocated payload, or -1 with an allocated
 * cause (an ERROR reply becomes its message; c->lost is set when the
 * daemon had closed the connection, as after its idle timeout).
 */
int	 client_request(struct client *, struct pbuf *, uint32_t *,
	     uint8_t **, uint32_t *, char **);
/*
 * Read the next frame of a reply that has several (since, log, watch):
 * as client_request, without sending; timeout_ms -1 waits for ever.
 */
int	 client_read(struct client *, uint32_t *, uint8_t **, uint32_t *, int,
	     char **);
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
