/*
 * commands.h - the verbs of mugaika(1) that live in files of their own
 * (cmd_*.c).  Each takes the arguments from the verb on (argv[0] is the
 * verb's name), prints to stdout and stderr, and returns a sysexits(3)
 * exit code.  mugaika.c dispatches to them.
 */
#ifndef MG_COMMANDS_H
#define MG_COMMANDS_H

/* mugaika list [--config FILE] [--json] [--limit N]: the kept originals,
 * newest first (cmd_list.c). */
int mg_cmd_list(int argc, char **argv);

#endif
