// state-file.mjs: the sandbox's shop in a JSON file, so a restarted sandbox is the marketplace it
// was (`make run` keeps it in the data folder beside the sync server's SQLite file: restarting it
// leaves the two agreeing on every order). Written after each change, before the change is
// answered (a ship call answered "done" is on disk), and atomically: the text goes to
// `<file>.tmp`, is fsynced, then renamed over the file (and the folder fsynced), so a crash
// leaves the old file or the new one, never half of one. A `.tmp` left by a crash is ignored.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The file's JSON, or null when there is no file; throws (naming the file) when it cannot be read. */
export function readStateFile(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw new Error(`the sandbox state ${file} cannot be read: ${err.message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`the sandbox state ${file} is not JSON (damaged? move it away to start with an empty sandbox)`);
  }
}

/** Replaces the file with `text`, atomically and durably. */
export function writeStateFile(file, text) {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w', 0o600); // buyers' addresses, if made up: the owner's only
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(path.dirname(file), 'r'); // the rename itself, on disk
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/**
 * A saver of `shop` (shop.mjs) to `file`: save() writes its snapshot() when it differs from the
 * last one written (or the one it started from): reads change nothing, so they write nothing.
 */
export function stateSaver(file, shop) {
  let last = JSON.stringify(shop.snapshot());
  return {
    save() {
      const text = JSON.stringify(shop.snapshot());
      if (text === last) return false;
      writeStateFile(file, text);
      last = text;
      return true;
    },
  };
}
