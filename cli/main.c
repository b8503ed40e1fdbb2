/* main.c: `packdesk`, the command-line tool: JSON commands on stdin, JSON responses on stdout. */
#define _POSIX_C_SOURCE 200809L
#include "packdesk.h"
#include "linereader.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINE ((size_t)8 * 1024 * 1024)

static const char usage_text[] =
    "usage: packdesk [--store DIR] [--help] [--version]\n"
    "       packdesk verify DIR\n"
    "       packdesk export DIR\n";

static const char help_text[] =
    "packdesk: the fulfillment core of packdesk, driven from the command line.\n"
    "\n"
    "Reads one JSON command per line on standard input and writes one JSON response per line\n"
    "on standard output, flushed after each. Empty lines are ignored. Lines may be up to\n"
    "8388608 bytes long; a longer line is answered with a BAD_REQUEST error and skipped.\n"
    "\n"
    "Options:\n"
    "  --store DIR   keep the shop in DIR (created if missing): snapshot pages plus a journal;\n"
    "                every command that changes the shop is journaled and fsynced before it\n"
    "                is applied. A torn write at the journal's end (a crash) is cut off and\n"
    "                reported on stderr; damage elsewhere stops the tool (exit 2): see verify\n"
    "                and export. Without --store the shop lives in memory only.\n"
    "  --help        this text\n"
    "  --version     the version\n"
    "\n"
    "Protocol (in short):\n"
    "  request   {\"cmd\": \"order.confirm\", \"at\": <ms since epoch, UTC>, \"op\"?: \"<id>\", ...args}\n"
    "  response  {\"ok\": true, \"result\": {...}}\n"
    "         or {\"ok\": false, \"error\": {\"code\": \"ILLEGAL_TRANSITION\", \"message\": \"...\", \"rule\": \"C2\"}}\n"
    "  The core reads no clock: every command carries its time in `at`. A failed command\n"
    "  changes nothing. A command whose `op` was already applied answers as the first time.\n"
    "  Commands: order.import, order.pay, line.check, order.confirm, order.cancel, request.*,\n"
    "  pack.scan, pack.confirm, pack.complete, handover.set, order.ship, complaint.file,\n"
    "  carrier.event, refund.submit, message.send, tick; queries: order.get, orders.list,\n"
    "  stats, metrics, notifications.list/read, outbox.list/ack. Full reference: PROTOCOL.md.\n"
    "\n"
    "Subcommands:\n"
    "  verify DIR    checks every snapshot page and journal record of the store in DIR and\n"
    "                prints a report; exit 0 when all is whole, 1 when something is damaged.\n"
    "  export DIR    prints every readable order of the store, one JSON line each, masked as\n"
    "                everywhere (the way out of a damaged store: it opens read-only).\n"
    "\n"
    "Exit status: 0 at end of input; 1 on an I/O error; 2 on a usage error or a damaged store.\n"
    "\n"
    "Examples:\n"
    "  echo '{\"cmd\":\"stats\",\"at\":1764230400000}' | packdesk\n"
    "  packdesk --store ~/shop <<'EOF'\n"
    "  {\"cmd\":\"order.import\",\"at\":1764230400000,\"order\":{\"id\":\"A1\",\"placed_at\":1764230400000,\n"
    "   \"paid_at\":1764230400000,\"currency\":\"VND\",\"lines\":[{\"sku\":\"SKU-1\",\"quantity\":1}]}}\n"
    "  {\"cmd\":\"order.get\",\"at\":1764230400001,\"order_id\":\"A1\"}\n"
    "  EOF\n";

static const char too_long_response[] =
    "{\"ok\":false,\"error\":{\"code\":\"BAD_REQUEST\",\"message\":\"request line longer than "
    "8388608 bytes\"}}";
static const char oom_response[] =
    "{\"ok\":false,\"error\":{\"code\":\"OUT_OF_MEMORY\",\"message\":\"out of memory\"}}";

/* Writes one response line and flushes it; -1 when stdout is gone. */
static int emit(const char *response) {
  if (fputs(response, stdout) == EOF || putchar('\n') == EOF || fflush(stdout) == EOF) return -1;
  return 0;
}

/* Answers stdin until it ends; the process's exit status. */
static int serve(pd_shop *shop, pd_store *st) {
  line_reader lr;
  lr_init(&lr, STDIN_FILENO, MAX_LINE);
  const char *line;
  size_t len;
  int status = 0;
  for (;;) {
    lr_status got = lr_next(&lr, &line, &len);
    if (got == LR_EOF) break;
    if (got == LR_ERROR) {
      fprintf(stderr, "packdesk: cannot read standard input: %s\n", strerror(errno));
      status = 1;
      break;
    }
    int written;
    if (got == LR_TOO_LONG) {
      written = emit(too_long_response);
    } else if (len == 0) {
      continue;
    } else {
      char *response = st ? pd_store_exec(st, line, len) : pd_exec(shop, line, len);
      written = emit(response ? response : oom_response);
      pd_string_free(response);
    }
    if (written != 0) {
      fprintf(stderr, "packdesk: cannot write standard output: %s\n", strerror(errno));
      status = 1;
      break;
    }
  }
  lr_free(&lr);
  return status;
}

static void print_report(const char *dir, const pd_store_report *rep, int opened) {
  fprintf(stderr, "packdesk: %s: %s, %llu orders, snapshot to record %llu, %llu records replayed",
          dir, opened ? (rep->damaged ? "damaged (read-only)" : "whole") : "cannot be opened",
          rep->orders, rep->snapshot_seq, rep->replayed);
  if (rep->torn_bytes)
    fprintf(stderr, ", torn tail of %llu bytes cut (record %llu)", rep->torn_bytes, rep->torn_seq);
  fprintf(stderr, "%s%s\n", rep->message[0] ? ": " : "", rep->message);
}

/* verify DIR: opens read-only, every order read whole (which checks every page, order and
 * record), and reports. */
static int verify(const char *dir) {
  pd_store_report rep;
  pd_store *st = pd_store_open(dir, PD_STORE_READ_ONLY | PD_STORE_EAGER, &rep);
  print_report(dir, &rep, st != NULL);
  int whole = st && !rep.damaged && !rep.torn_bytes;
  printf("{\"whole\":%s,\"orders\":%llu,\"snapshot_seq\":%llu,\"replayed\":%llu,"
         "\"torn_bytes\":%llu}\n", whole ? "true" : "false", rep.orders, rep.snapshot_seq,
         rep.replayed, rep.torn_bytes);
  pd_store_close(st);
  return whole ? 0 : 1;
}

/* export DIR: every readable order, one JSON line each, through orders.export's pages. */
static int export_orders(const char *dir) {
  pd_store_report rep;
  /* Eager: an order that cannot be read is left out at open (and reported), not a failure
   * of the export half-way. */
  pd_store *st = pd_store_open(dir, PD_STORE_READ_ONLY | PD_STORE_EAGER, &rep);
  if (!st) {
    print_report(dir, &rep, 0);
    return 2;
  }
  if (rep.damaged) print_report(dir, &rep, 1);
  char cursor[128] = "", request[256];
  int status = 0;
  for (;;) {
    snprintf(request, sizeof request, "{\"cmd\":\"orders.export\",\"at\":253402300799999,\"limit\":100%s%s%s}",
             cursor[0] ? ",\"after\":\"" : "", cursor, cursor[0] ? "\"" : "");
    char *r = pd_exec(pd_store_shop(st), request, strlen(request));
    const char *rows = r ? strstr(r, "\"orders\":[") : NULL;
    if (!rows) {
      fprintf(stderr, "packdesk: export failed: %s\n", r ? r : "out of memory");
      pd_string_free(r);
      status = 1;
      break;
    }
    /* Each order is one object of the array: print them one per line. */
    const char *p = rows + 10;
    int depth = 0, in_string = 0;
    const char *start = NULL;
    for (; *p; p++) {
      if (in_string) {
        if (*p == '\\') p++;
        else if (*p == '"') in_string = 0;
        continue;
      }
      if (*p == '"') in_string = 1;
      else if (*p == '{' && depth++ == 0) start = p;
      else if (*p == '}' && --depth == 0) printf("%.*s\n", (int)(p - start + 1), start);
      else if (*p == ']' && depth == 0) break;
    }
    const char *next = strstr(p, "\"next\":\"");
    cursor[0] = '\0';
    if (next) sscanf(next + 8, "%100[^\"]", cursor);
    pd_string_free(r);
    if (!cursor[0]) break;
  }
  pd_store_close(st);
  return status;
}

int main(int argc, char **argv) {
  const char *store_dir = NULL;
  if (argc == 3 && strcmp(argv[1], "verify") == 0) return verify(argv[2]);
  if (argc == 3 && strcmp(argv[1], "export") == 0) return export_orders(argv[2]);
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      fputs(help_text, stdout);
      return 0;
    } else if (strcmp(arg, "--version") == 0) {
      puts("packdesk " PD_VERSION);
      return 0;
    } else if (strcmp(arg, "--store") == 0 && i + 1 < argc && argv[i + 1][0] != '\0') {
      store_dir = argv[++i];
    } else if (strncmp(arg, "--store=", 8) == 0 && arg[8] != '\0') {
      store_dir = arg + 8;
    } else {
      fprintf(stderr, "packdesk: unknown or incomplete option '%s'\n%s"
              "Try 'packdesk --help' for more.\n", arg, usage_text);
      return 2;
    }
  }

  pd_store *st = NULL;
  pd_shop *shop = NULL;
  if (store_dir) {
    pd_store_report rep;
    st = pd_store_open(store_dir, PD_STORE_FSYNC, &rep);
    if (!st || rep.torn_bytes) print_report(store_dir, &rep, st != NULL);
    if (!st) return 2;
    shop = pd_store_shop(st);
  } else if (!(shop = pd_shop_new())) {
    fprintf(stderr, "packdesk: out of memory\n");
    return 1;
  }
  int status = serve(shop, st);
  if (st) pd_store_close(st);
  else pd_shop_free(shop);
  return status;
}
