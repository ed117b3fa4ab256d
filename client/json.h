/*
 * JSON output for --json: strings that any stock parser accepts, whatever
 * bytes a file name holds.  Used by the cmd-*.c files.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write s (len bytes) as a JSON string literal.  Valid UTF-8 passes
 * through (control characters, quote and backslash escaped); each byte of
 * an invalid sequence becomes U+FFFD.  Returns 1 if a byte was replaced,
 * else 0.
 */
int	 json_put_string(FILE *, const char *, size_t);

/*
 * Write "key":"value" for a path; if the path is not valid UTF-8, also
 * write ,"key_b64":"..." with its exact bytes in base64 (RFC 4648).
 */
void	 json_put_path(FILE *, const char *, const char *);

/* Is s (len bytes) valid UTF-8 (no overlongs, no surrogates)? */
int	 json_utf8_valid(const char *, size_t);

#endif
