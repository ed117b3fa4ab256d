/*
 * Unit tests for client/json.c: JSON string escaping, U+FFFD for bytes
 * that are not UTF-8, and the "_b64" companion key of json_put_path.
 * Output is captured with open_memstream(3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static FILE	*mem_open(char **, size_t *);
static void	 mem_close(FILE *);
static void	 check_string(const char *, int, const char *, size_t,
		     const char *, int);
static void	 check_path(const char *, int, const char *, const char *,
		     const char *);

/*
 * Check that json_put_string turns the bytes of literal s into the JSON
 * literal out, and returns repl (1 if a byte was replaced by U+FFFD).
 */
#define CHECK_JSON(s, out, repl)					\
	check_string(__FILE__, __LINE__, (s), sizeof (s) - 1, (out), (repl))

/* Check json_put_path(f, key, path) writes exactly out. */
#define CHECK_PATH(key, path, out)					\
	check_path(__FILE__, __LINE__, (key), (path), (out))

static FILE *
mem_open(char **buf, size_t *size)
{
	FILE	*f;

	*buf = NULL;
	*size = 0;
	if ((f = open_memstream(buf, size)) == NULL)
		unit_fail(__FILE__, __LINE__, "open_memstream failed");
	return (f);
}

/* Close the stream: the buffer given to mem_open then holds the output. */
static void
mem_close(FILE *f)
{
	if (fclose(f) != 0)
		unit_fail(__FILE__, __LINE__, "fclose of memstream failed");
}

static void
check_string(const char *file, int line, const char *s, size_t len,
    const char *out, int repl)
{
	FILE	*f;
	char	*buf;
	size_t	 size;
	int	 rc;

	f = mem_open(&buf, &size);
	rc = json_put_string(f, s, len);
	mem_close(f);
	unit_check_str(file, line, "json_put_string output", "expected", buf,
	    out);
	unit_check_int(file, line, "json_put_string return", "expected", rc,
	    repl);
	free(buf);
}

static void
check_path(const char *file, int line, const char *key, const char *path,
    const char *out)
{
	FILE	*f;
	char	*buf;
	size_t	 size;

	f = mem_open(&buf, &size);
	json_put_path(f, key, path);
	mem_close(f);
	unit_check_str(file, line, "json_put_path output", "expected", buf,
	    out);
	free(buf);
}

void
json_plain_ascii(void)
{
	CHECK_JSON("", "\"\"", 0);
	CHECK_JSON("abc", "\"abc\"", 0);
	CHECK_JSON("src/main.c", "\"src/main.c\"", 0);
	CHECK_JSON(" ~'", "\" ~'\"", 0);
}

void
json_escape_quote(void)
{
	CHECK_JSON("\"", "\"\\\"\"", 0);
	CHECK_JSON("say \"hi\".c", "\"say \\\"hi\\\".c\"", 0);
}

void
json_escape_backslash(void)
{
	CHECK_JSON("\\", "\"\\\\\"", 0);
	CHECK_JSON("a\\b\\\\c", "\"a\\\\b\\\\\\\\c\"", 0);
}

void
json_escape_newline(void)
{
	CHECK_JSON("\n", "\"\\n\"", 0);
	CHECK_JSON("a\nb\n", "\"a\\nb\\n\"", 0);
	CHECK_JSON("a\r\nb", "\"a\\r\\nb\"", 0);
}

void
json_escape_tab(void)
{
	CHECK_JSON("\t", "\"\\t\"", 0);
	CHECK_JSON("a\tb", "\"a\\tb\"", 0);
}

void
json_escape_control(void)
{
	CHECK_JSON("\001", "\"\\u0001\"", 0);
	CHECK_JSON("a\001b", "\"a\\u0001b\"", 0);
	CHECK_JSON("\033[1m", "\"\\u001b[1m\"", 0);
	CHECK_JSON("\037", "\"\\u001f\"", 0);
	CHECK_JSON("\b\f", "\"\\u0008\\u000c\"", 0);
	/* A NUL inside the given length is a character like the others. */
	CHECK_JSON("a\0b", "\"a\\u0000b\"", 0);
}

void
json_escape_del(void)
{
	CHECK_JSON("\177", "\"\\u007f\"", 0);
	CHECK_JSON("x\177y", "\"x\\u007fy\"", 0);
}

void
json_utf8_passthrough(void)
{
	CHECK_JSON("\xc3\xa9t\xc3\xa9", "\"\xc3\xa9t\xc3\xa9\"", 0);
	CHECK_JSON("\xc2\x80", "\"\xc2\x80\"", 0);		/* U+0080 */
	CHECK_JSON("\xdf\xbf", "\"\xdf\xbf\"", 0);		/* U+07FF */
	CHECK_JSON("\xe2\x82\xac", "\"\xe2\x82\xac\"", 0);	/* euro */
	CHECK_JSON("\xed\x9f\xbf", "\"\xed\x9f\xbf\"", 0);	/* U+D7FF */
	CHECK_JSON("\xee\x80\x80", "\"\xee\x80\x80\"", 0);	/* U+E000 */
	CHECK_JSON("\xef\xbf\xbd", "\"\xef\xbf\xbd\"", 0);	/* U+FFFD */
	CHECK_JSON("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"", 0);
	CHECK_JSON("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", 0);
	CHECK_JSON("a/\xe6\x97\xa5\xe6\x9c\xac\"",
	    "\"a/\xe6\x97\xa5\xe6\x9c\xac\\\"\"", 0);
}

void
json_invalid_byte_ff(void)
{
	CHECK_JSON("\xff", "\"\\ufffd\"", 1);
	CHECK_JSON("a\xff" "b", "\"a\\ufffdb\"", 1);
	CHECK_JSON("\xfe\xff", "\"\\ufffd\\ufffd\"", 1);
	/* Valid text after the bad byte is not swallowed. */
	CHECK_JSON("\xff\xc3\xa9", "\"\\ufffd\xc3\xa9\"", 1);
}

void
json_lone_continuation(void)
{
	CHECK_JSON("\x80", "\"\\ufffd\"", 1);
	CHECK_JSON("a\xbf" "b", "\"a\\ufffdb\"", 1);
}

void
json_overlong(void)
{
	/* '/' as two, three and four bytes: one U+FFFD per byte. */
	CHECK_JSON("\xc0\xaf", "\"\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xc1\xbf", "\"\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    1);
	/* The smallest three- and four-byte forms are not overlong. */
	CHECK_JSON("\xe0\xa0\x80", "\"\xe0\xa0\x80\"", 0);
	CHECK_JSON("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"", 0);
}

void
json_surrogate(void)
{
	CHECK_JSON("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	/* A CESU-8 pair for U+1F600. */
	CHECK_JSON("\xed\xa0\xbd\xed\xb8\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"", 1);
}

void
json_above_max_code_point(void)
{
	CHECK_JSON("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", 1);
}

void
json_truncated_sequence(void)
{
	/* The euro sign e2 82 ac, cut at the end and in the middle. */
	CHECK_JSON("a\xe2\x82", "\"a\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xe2", "\"\\ufffd\"", 1);
	CHECK_JSON("\xe2\x82z", "\"\\ufffd\\ufffdz\"", 1);
	CHECK_JSON("\xf0\x9f\x98", "\"\\ufffd\\ufffd\\ufffd\"", 1);
	CHECK_JSON("\xc3", "\"\\ufffd\"", 1);
	/* A new sequence where a continuation byte should be. */
	CHECK_JSON("\xc3\xc3\xa9", "\"\\ufffd\xc3\xa9\"", 1);
}

void
json_utf8_valid_rules(void)
{
	CHECK_EQ_INT(json_utf8_valid("", 0), 1);
	CHECK_EQ_INT(json_utf8_valid("abc\n\177", 5), 1);
	CHECK_EQ_INT(json_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
	    9), 1);
	CHECK_EQ_INT(json_utf8_valid("a\0b", 3), 1);
	CHECK_EQ_INT(json_utf8_valid("\xff", 1), 0);
	CHECK_EQ_INT(json_utf8_valid("\xc0\xaf", 2), 0);
	CHECK_EQ_INT(json_utf8_valid("\xed\xa0\x80", 3), 0);
	CHECK_EQ_INT(json_utf8_valid("\xf4\x90\x80\x80", 4), 0);
	CHECK_EQ_INT(json_utf8_valid("ok\xe2\x82", 4), 0);
	/* Only the given length is looked at. */
	CHECK_EQ_INT(json_utf8_valid("ok\xff", 2), 1);
	CHECK_EQ_INT(json_utf8_valid("\xe2\x82\xac", 2), 0);
}

void
json_path_valid_no_b64(void)
{
	CHECK_PATH("path", "src/main.c", "\"path\":\"src/main.c\"");
	CHECK_PATH("target", "a \"b\"\n\\c",
	    "\"target\":\"a \\\"b\\\"\\n\\\\c\"");
	CHECK_PATH("dep", "\xc3\xa9t\xc3\xa9.h",
	    "\"dep\":\"\xc3\xa9t\xc3\xa9.h\"");
	CHECK_PATH("path", "", "\"path\":\"\"");
}

/*
 * The next three use the test vectors of RFC 4648 section 9, which are
 * not UTF-8: 14 fb 9c 03 d9 7e and its first five and four bytes.
 */
void
json_path_b64_remainder_1(void)
{
	CHECK_PATH("path", "\x14\xfb\x9c\x03",
	    "\"path\":\"\\u0014\\ufffd\\ufffd\\u0003\","
	    "\"path_b64\":\"FPucAw==\"");
}

void
json_path_b64_remainder_2(void)
{
	CHECK_PATH("path", "\x14\xfb\x9c\x03\xd9",
	    "\"path\":\"\\u0014\\ufffd\\ufffd\\u0003\\ufffd\","
	    "\"path_b64\":\"FPucA9k=\"");
}

void
json_path_b64_remainder_0(void)
{
	CHECK_PATH("path", "\x14\xfb\x9c\x03\xd9\x7e",
	    "\"path\":\"\\u0014\\ufffd\\ufffd\\u0003\\ufffd~\","
	    "\"path_b64\":\"FPucA9l+\"");
}

void
json_path_b64_alphabet(void)
{
	/* The last character of the alphabet, '/', and longer inputs. */
	CHECK_PATH("dep", "\xff\xff\xff",
	    "\"dep\":\"\\ufffd\\ufffd\\ufffd\",\"dep_b64\":\"////\"");
	CHECK_PATH("dep", "\xff" "foobar",
	    "\"dep\":\"\\ufffdfoobar\",\"dep_b64\":\"/2Zvb2Jhcg==\"");
	CHECK_PATH("dep", "foob\xff",
	    "\"dep\":\"foob\\ufffd\",\"dep_b64\":\"Zm9vYv8=\"");
	CHECK_PATH("target", "\xfe\xfb\xef\xbe",
	    "\"target\":\"\\ufffd\\ufffd\\ufffd\\ufffd\","
	    "\"target_b64\":\"/vvvvg==\"");
}
