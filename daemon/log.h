/*
 * The daemon's log: ROOT/.depcheck/depcheckd.log, and stderr with
 * --foreground.  One line per event; path bytes outside printable ASCII
 * are escaped by log_esc().
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN };

/* Open the log file (append); returns -1 with errno set on failure. */
int	 log_open(const char *, int);
void	 log_close(void);
int	 log_is_open(void);
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Log with strerror(errno), then exit 2. */
void	 fatal(const char *, ...)
	     __attribute__((format(printf, 1, 2), noreturn));
/* Log "internal error: ...", then abort so the core survives. */
void	 fatalx(const char *, ...)
	     __attribute__((format(printf, 1, 2), noreturn));
/* An escaped copy of a path for logging, in one of 4 rotating buffers. */
const char *log_esc(const char *);

#endif
