/* SHA-256 (sha256.c): a schedule names its scenario by the hash of its
 * bytes; libc only. */
#ifndef LK_SHA256_H
#define LK_SHA256_H

#include <stddef.h>

/* SHA-256 of the bytes as 64 hex digits and a NUL. */
void lk_sha256_hex(const void *data, size_t len, char hex[65]);

/* SHA-256 of a file's contents into hex; 0, or -1 with errno. */
int lk_sha256_file(const char *path, char hex[65]);

#endif
