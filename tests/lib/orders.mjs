// orders.mjs: requests the store suites send (tests/browser-store-*.test.mjs). Holds no tests.

/** When every order here is placed and paid: 2025-11-27T08:00:00Z. */
export const AT = 1764230400000;

/** order.import of a paid order `id` with one line (L1, `sku`), at AT. */
export const importOrder = (id, sku = 'SKU-1') => ({
  cmd: 'order.import', at: AT,
  order: {
    id, placed_at: AT, paid_at: AT, currency: 'VND',
    lines: [{ id: 'L1', sku, name: 'Ao thun', quantity: 1, unit_price: 150000 }],
    buyer: { name: 'Nguyen Van A', phone: '+84 912 345 678', address: '12 Le Loi, Q1', region: 'Ho Chi Minh' },
  },
});
