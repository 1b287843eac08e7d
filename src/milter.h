/*
 * milter.h - the libmilter callbacks of mugaika-milter.
 *
 * mg_milter_register() registers the callbacks with libmilter (call once,
 * before smfi_main()).  The callbacks take the current snapshot
 * (snapshot.h) for each message, so the daemon must install one first.
 *
 * mg_milter_in_flight() counts messages between MAIL FROM and their end
 * (end of message, abort or close); the daemon waits for it to reach zero
 * after libmilter has stopped accepting connections.
 */
#ifndef MG_MILTER_H
#define MG_MILTER_H

#include <stdbool.h>

/* Name reported to libmilter and in its log lines. */
#define MG_MILTER_NAME "mugaika"

/* False when libmilter refused the registration. */
bool mg_milter_register(void);

int mg_milter_in_flight(void);

/* Waits up to timeout_ms for mg_milter_in_flight() to reach zero; true
 * when it did. */
bool mg_milter_wait_idle(long timeout_ms);

#endif
