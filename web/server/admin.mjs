// admin.mjs: the sync server operator's tool, on the data folder itself (it may run while the
// server does: SQLite lets both write, one at a time).
//
//   node web/server/admin.mjs pairing-code SHOP [--create] [--hours N] [--data DIR]
//     prints a pairing code for SHOP (valid N hours, default 24); --create makes SHOP first
//     (empty) when it does not exist. DIR: --data, else PACKDESK_DATA, else data/.
import path from 'node:path';
import { openSqliteStorage } from './storage-sqlite.mjs';
import { createSync, isShopId } from './sync.mjs';

const USAGE = 'usage: node web/server/admin.mjs pairing-code SHOP [--create] [--hours N] [--data DIR]';

function fail(message, status = 2) {
  console.error(message);
  process.exit(status);
}

const args = process.argv.slice(2);
const value = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  if (v === undefined) fail(USAGE);
  return v;
};
const dataDir = value('data') ?? process.env.PACKDESK_DATA ?? 'data';
const hours = Number(value('hours') ?? 24);
const createIndex = args.indexOf('--create');
const create = createIndex >= 0;
if (create) args.splice(createIndex, 1);
const [command, shopId, ...rest] = args;
if (command !== 'pairing-code' || !shopId || rest.length > 0) fail(USAGE);
if (!isShopId(shopId)) fail(`admin: ${JSON.stringify(shopId)} is not a shop id (a-z, 0-9, _ and -, up to 63)`);
if (!(hours > 0 && hours <= 24 * 365)) fail('admin: --hours must be more than 0 and at most a year');

const storage = await openSqliteStorage({ dir: path.resolve(dataDir) });
try {
  if (create && (await storage.ensureShop(shopId))) console.error(`admin: shop ${shopId} created`);
  if (!(await storage.shop(shopId))) fail(`admin: no shop ${shopId} in ${path.resolve(dataDir)} (--create makes it)`, 1);
  const sync = createSync({ storage, cores: null });
  const { code, expires_at: expires } = await sync.issuePairingCode(shopId, { ttlMs: hours * 3600 * 1000 });
  console.log(`pairing code for shop ${shopId}: ${code} (until ${new Date(expires).toISOString()})`);
} finally {
  await storage.close();
}
