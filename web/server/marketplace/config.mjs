// config.mjs: where the connector talks to, and with which credentials. One setting points it at
// the real TikTok Shop Open API instead of the local sandbox:
//
//   MARKETPLACE_URL=https://open-api.tiktokglobalshop.com  MARKETPLACE_APP_KEY=...
//   MARKETPLACE_APP_SECRET=...  MARKETPLACE_SHOP_ID=...  MARKETPLACE_ACCESS_TOKEN=...
//
// Without them the connector uses the sandbox (web/sandbox/, `make run` starts it) with the
// sandbox's own credentials below. They are test credentials of a local fake, not secrets; a
// real app secret only ever comes from the environment of the server process, and no module of
// the console (served to browsers) imports this file.

/** The sandbox's credentials: web/sandbox/server.mjs accepts these unless told otherwise. */
export const SANDBOX_CREDENTIALS = Object.freeze({
  appKey: 'packdesk-sandbox',
  appSecret: 'packdesk-sandbox-secret',
  shopId: '7495000000000000001',
  accessToken: 'sandbox-access-token',
});

export const SANDBOX_PORT = 8090;

/**
 * The connector's settings from the environment: {baseUrl, appKey, appSecret, shopId,
 * accessToken, sandbox}. `sandbox` is true when no MARKETPLACE_URL is set (the local sandbox on
 * SANDBOX_PORT, 8090 by default). Throws when MARKETPLACE_URL is set but a credential is missing
 * (a real marketplace with the sandbox's credentials would only ever answer 401s).
 */
export function marketplaceConfig(env = process.env) {
  const url = env.MARKETPLACE_URL?.trim();
  if (!url) {
    const port = Number(env.SANDBOX_PORT ?? SANDBOX_PORT);
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      appKey: env.MARKETPLACE_APP_KEY ?? SANDBOX_CREDENTIALS.appKey,
      appSecret: env.MARKETPLACE_APP_SECRET ?? SANDBOX_CREDENTIALS.appSecret,
      shopId: env.MARKETPLACE_SHOP_ID ?? SANDBOX_CREDENTIALS.shopId,
      accessToken: env.MARKETPLACE_ACCESS_TOKEN ?? SANDBOX_CREDENTIALS.accessToken,
      sandbox: true,
    };
  }
  const missing = ['MARKETPLACE_APP_KEY', 'MARKETPLACE_APP_SECRET', 'MARKETPLACE_SHOP_ID', 'MARKETPLACE_ACCESS_TOKEN']
    .filter((name) => !env[name]);
  if (missing.length) throw new Error(`MARKETPLACE_URL is set, so ${missing.join(', ')} must be set too`);
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`MARKETPLACE_URL is not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.hostname !== '127.0.0.1' && parsed.hostname !== 'localhost') {
    throw new Error('MARKETPLACE_URL must be https (the app secret signs every request)');
  }
  return {
    baseUrl: url.replace(/\/+$/, ''),
    appKey: env.MARKETPLACE_APP_KEY,
    appSecret: env.MARKETPLACE_APP_SECRET,
    shopId: env.MARKETPLACE_SHOP_ID,
    accessToken: env.MARKETPLACE_ACCESS_TOKEN,
    sandbox: false,
  };
}
