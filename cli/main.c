/* main.c: `packdesk`, the command-line tool: JSON commands on stdin, JSON responses on stdout. */
#define _POSIX_C_SOURCE 200809L
#include "packdesk.h"
#include "linereader.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_LINE ((size_t)8 * 1024 * 1024)

static const char usage_text[] =
    "usage: packdesk [--store DIR] [--help] [--version]\n";

static const char help_text[] =
    "packdesk: the fulfillment core of packdesk, driven from the command line.\n"
    "\n"
    "Reads one JSON command per line on standard input and writes one JSON response per line\n"
    "on standard output, flushed after each. Empty lines are ignored. Lines may be up to\n"
    "8388608 bytes long; a longer line is answered with a BAD_REQUEST error and skipped.\n"
    "\n"
    "Options:\n"
    "  --store DIR   keep the shop in DIR (created if missing): every accepted command is\n"
    "                appended to DIR/" STORE_FILE " and fsynced before it is applied, and the\n"
    "                file is replayed on start. Without --store the shop lives in memory only.\n"
    "                A recorded command the core refuses on replay stops the tool (exit 2).\n"
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
static int serve(pd_shop *shop) {
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
      char *response = pd_exec(shop, line, len);
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

int main(int argc, char **argv) {
  const char *store_dir = NULL;
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

  pd_shop *shop = pd_shop_new();
  if (!shop) {
    fprintf(stderr, "packdesk: out of memory\n");
    return 1;
  }
  store st = {.fd = -1, .path = NULL, .max_line = MAX_LINE};
  int status = store_dir ? store_open(&st, store_dir, shop, MAX_LINE) : 0;
  if (status == 0) status = serve(shop);
  store_close(&st);
  pd_shop_free(shop);
  return status;
}
