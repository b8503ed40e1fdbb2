// demo-shop.mjs: the demo shop the console opens on when the store is empty: scripts/demo.mjs's
// 30 orders (same products, buyers and stages), built in the page by sending commands through the
// core. The data is fixed; time is not the clock's but `at`, a fixed offset before `seedAt` (the
// moment of seeding) for every step, so deadlines count down realistically from now on: an order
// placed 63 h ago has 9 h left to ship (H2), one placed 75 h ago is late, one shipped 15 days ago
// and never delivered is lost at the final tick (T3). Every step of an order is 2 minutes after
// the one before; orders are seeded one after another, each on its own timeline (the core takes
// each command's `at` as given).

const MIN = 60 * 1000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 2 * MIN;

export const PRODUCTS = [
  { sku: 'TEA-OOLONG-200', name: 'Oolong tea 200 g', unit_price: 185000 },
  { sku: 'MUG-CERAMIC', name: 'Ceramic mug, hand-glazed', unit_price: 240000, classes: ['fragile'] },
  { sku: 'KNIFE-PARING', name: 'Paring knife 9 cm', unit_price: 320000, classes: ['sharp'] },
  { sku: 'SAUCE-FISH-500', name: 'Fish sauce 500 ml', unit_price: 95000, classes: ['liquid'] },
  { sku: 'TOWEL-COTTON', name: 'Cotton towel', unit_price: 120000 },
  { sku: 'NOTEBOOK-A5', name: 'Notebook A5, dotted', unit_price: 60000 },
];
const BUYERS = [
  ['Nguyen Van An', '0901234567', '12 Ly Thuong Kiet, Hoan Kiem, Ha Noi', 'Ha Noi'],
  ['Tran Thi Binh', '0912345678', '45 Nguyen Hue, District 1, Ho Chi Minh City', 'Ho Chi Minh City'],
  ['Le Hoang Cuong', '0987654321', '8 Bach Dang, Hai Chau, Da Nang', 'Da Nang'],
  ['Pham Minh Duc', '0934567890', '101 Tran Phu, Nha Trang, Khanh Hoa', 'Khanh Hoa'],
  ['Vo Thi Em', '0976543210', '27 Hung Vuong, Hue, Thua Thien Hue', 'Thua Thien Hue'],
];

/** Demo order k (1-based) in packdesk's own form, placed at `at`, paid unless `unpaid`. */
export function demoOrder(k, at, { unpaid = false } = {}) {
  const lines = [PRODUCTS[k % PRODUCTS.length]];
  if (k % 3 === 0) lines.push(PRODUCTS[(k + 2) % PRODUCTS.length]);
  const [name, phone, address, region] = BUYERS[k % BUYERS.length];
  return {
    id: `DEMO-${String(k).padStart(2, '0')}`,
    placed_at: at,
    ...(unpaid ? {} : { paid_at: at }),
    currency: 'VND',
    lines: lines.map((p, j) => ({ id: `L${j + 1}`, ...p, quantity: 1 + ((k + j) % 2) })),
    buyer: { name, phone, address, region },
  };
}

// [k, target, hours before seedAt the order was placed, handover method]. 'paid later' is
// imported unpaid and paid half an hour later; 'unpaid, expired' is cancelled by the final tick
// (C3, 24 h to pay); 'completed' is delivered more than 7 days before (completion); 'lost' was
// collected 15 days before and never delivered (T3, 14 days).
export const PLAN = [
  [1, 'lost', 16 * 24], [2, 'completed', 12 * 24], [3, 'completed', 11 * 24],
  [4, 'unpaid, expired', 30],
  [5, 'unpaid', 2], [6, 'unpaid', 5], [7, 'unpaid', 20],
  [8, 'paid later', 3], [9, 'paid later', 26],
  [10, 'awaiting_confirmation', 1], [11, 'awaiting_confirmation', 4],
  [12, 'awaiting_confirmation', 20], [13, 'awaiting_confirmation', 40],
  [14, 'confirmed', 63], [15, 'confirmed', 10], [16, 'confirmed', 30], [17, 'confirmed', 75],
  [18, 'packed', 8], [19, 'packed', 26], [20, 'packed', 48],
  [21, 'awaiting_collection', 20], [22, 'awaiting_collection', 41],
  [23, 'awaiting_collection', 52, 'dropoff'],
  [24, 'in_transit', 72], [25, 'in_transit', 60, 'dropoff'], [26, 'in_transit', 8 * 24],
  [27, 'delivered', 4 * 24], [28, 'delivered', 5 * 24],
  [29, 'cancelled by the seller', 6], [30, 'cancelled: out of stock', 5],
];

// [order, kind, hours before seedAt the buyer asked, reason]: pending requests the seller answers.
export const REQUESTS = [
  ['DEMO-11', 'cancel', 1, 'Ordered the wrong colour'],
  ['DEMO-27', 'return', 10, 'The bottle arrived with a cracked cap'],
];

// When each later step happens, relative to the order's placement: awaiting_collection orders
// were marked shipped soon after packing and wait for the carrier (H3/H7, 48 h); the others were
// collected 6 h after placement and delivered a day after that.
const COLLECTED_AFTER = 6 * HOUR;
const DELIVERED_AFTER = 30 * HOUR;

/**
 * Builds the demo shop through exec(request) → the core's response (synchronous), as of seedAt
 * (ms). Throws when the core refuses a step (the demo and the rules disagree: a bug to see).
 * Returns the number of orders created.
 */
export function seedDemoShop(exec, seedAt) {
  const send = (request) => {
    const response = exec(request);
    if (!response.ok) throw new Error(`demo shop: ${request.cmd} ${request.order_id ?? ''} refused: ${JSON.stringify(response.error)}`);
    return response.result;
  };
  for (const [k, target, hoursAgo, method = 'pickup'] of PLAN) {
    const placed = seedAt - hoursAgo * HOUR;
    let at = placed;
    const unpaid = target.startsWith('unpaid') || target === 'paid later';
    const order = demoOrder(k, placed, { unpaid });
    const id = order.id;
    const cmd = (name, args = {}) => send({ cmd: name, at: (at += STEP), ...args });
    send({ cmd: 'order.import', at, order });
    if (unpaid) {
      if (target === 'paid later') send({ cmd: 'order.pay', at: placed + 30 * MIN, order_id: id });
      continue;
    }
    const checkAll = () => order.lines.forEach((line) => cmd('line.check', { order_id: id, line_id: line.id, result: 'ok' }));
    if (target === 'cancelled by the seller') {
      checkAll();
      cmd('order.confirm', { order_id: id });
      cmd('order.cancel', { order_id: id, reason: 'buyer asked by phone to cancel' });
      continue;
    }
    if (target === 'cancelled: out of stock') {
      cmd('line.check', { order_id: id, line_id: 'L1', result: 'out_of_stock' });
      cmd('order.cancel', { order_id: id, reason: 'out_of_stock' });
      continue;
    }
    const reach = ['awaiting_confirmation', 'confirmed', 'packed', 'awaiting_collection', 'in_transit', 'delivered'];
    const goal = ['completed', 'lost'].includes(target) ? reach.indexOf(target === 'lost' ? 'in_transit' : 'delivered') : reach.indexOf(target);
    if (goal >= 1) {
      checkAll();
      cmd('order.confirm', { order_id: id });
    }
    if (goal >= 2) {
      for (const line of order.lines) for (let u = 0; u < line.quantity; u++) cmd('pack.scan', { order_id: id, sku: line.sku });
      const { checklist = [] } = cmd('order.get', { order_id: id });
      for (const entry of checklist) if (!entry.confirmed) cmd('pack.confirm', { order_id: id, item: entry.item });
      cmd('pack.complete', { order_id: id });
    }
    if (goal >= 3) {
      const special = order.lines.some((l) => l.classes);
      cmd('handover.set', {
        order_id: id, method,
        ...(method === 'dropoff' ? { shipping_point: 'GHN Hoan Kiem post office' } : {}),
        ...(special ? { note: 'Special handling: keep upright, do not crush' } : {}),
      });
      cmd('order.ship', { order_id: id });
    }
    if (goal >= 4) {
      at = placed + COLLECTED_AFTER;
      cmd('carrier.event', { order_id: id, event: method === 'pickup' ? 'picked_up' : 'dropped_off', tracking_number: `VN${k}0042` });
    }
    if (goal >= 5) {
      at = placed + DELIVERED_AFTER;
      cmd('carrier.event', { order_id: id, event: 'delivered' });
    }
  }
  // Buyers' requests still waiting for an answer (C4, 48 h from submission): a cancellation on a
  // new order, a return on a delivered one.
  for (const [orderId, kind, hoursAgo, reason] of REQUESTS) {
    send({ cmd: 'request.open', at: seedAt - hoursAgo * HOUR, order_id: orderId, kind, reason });
  }
  // What time alone decides by now: lost, completed, the unpaid order cancelled.
  send({ cmd: 'tick', at: seedAt });
  return PLAN.length;
}
