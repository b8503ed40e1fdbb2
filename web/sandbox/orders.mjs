// orders.mjs: the sandbox's new orders, in the legacy API's order-detail shape (the fixture
// ../shared/fixtures/tiktok-legacy/order/order_detail.json field for field: integer status,
// create_time as a string of ms, other times in seconds, amounts as numbers, the buyer's phone
// NOT masked, since the marketplace does not mask it: the console must), plus the package_list
// the real order detail carries, so a ship call can name the package.
//
// Random but reproducible: a seeded generator (--seed) picks lines and buyers.
import { ORDER_STATUS } from '../server/marketplace/legacy.mjs';

const HOUR_S = 3600;

// A small shop in Vietnam (VND has no minor units: prices are whole dong).
const CATALOG = [
  { sku_id: '1729400000000000101', product_id: '1729400000000000001', seller_sku: 'TEE-BLK-M', product_name: 'Áo thun cotton', sku_name: 'Đen, M', price: 149000 },
  { sku_id: '1729400000000000102', product_id: '1729400000000000001', seller_sku: 'TEE-WHT-L', product_name: 'Áo thun cotton', sku_name: 'Trắng, L', price: 149000 },
  { sku_id: '1729400000000000201', product_id: '1729400000000000002', seller_sku: 'MUG-GLS-350', product_name: 'Cốc thủy tinh 350ml', sku_name: 'Trong suốt', price: 89000 },
  { sku_id: '1729400000000000301', product_id: '1729400000000000003', seller_sku: 'CASE-IP15', product_name: 'Ốp lưng iPhone 15', sku_name: 'Xanh', price: 59000 },
  { sku_id: '1729400000000000401', product_id: '1729400000000000004', seller_sku: 'SOCK-3P', product_name: 'Tất cổ ngắn (3 đôi)', sku_name: 'Mix', price: 45000 },
  { sku_id: '1729400000000000501', product_id: '1729400000000000005', seller_sku: 'BOTTLE-500', product_name: 'Bình giữ nhiệt 500ml', sku_name: 'Bạc', price: 199000 },
  { sku_id: '1729400000000000601', product_id: '1729400000000000006', seller_sku: 'NOTE-A5', product_name: 'Sổ tay A5', sku_name: 'Kẻ ngang', price: 35000 },
];

const BUYERS = [
  { name: 'Nguyễn Văn An', phone: '(+84)912345678', state: 'Hồ Chí Minh', city: 'Quận 1', district: 'Bến Nghé', street: '12 Lê Lợi' },
  { name: 'Trần Thị Bích', phone: '(+84)903456789', state: 'Hà Nội', city: 'Quận Ba Đình', district: 'Kim Mã', street: '45 Kim Mã' },
  { name: 'Lê Hoàng Minh', phone: '(+84)987654321', state: 'Đà Nẵng', city: 'Quận Hải Châu', district: 'Thạch Thang', street: '8 Bạch Đằng' },
  { name: 'Phạm Thu Hà', phone: '(+84)938111222', state: 'Cần Thơ', city: 'Quận Ninh Kiều', district: 'Tân An', street: '3 Hai Bà Trưng' },
  { name: 'Võ Quốc Huy', phone: '(+84)977333444', state: 'Hải Phòng', city: 'Quận Lê Chân', district: 'An Biên', street: '27 Tô Hiệu' },
];

const MESSAGES = ['', '', 'Giao giờ hành chính giúp mình', 'Please pack carefully', ''];

/** A small seeded generator (mulberry32): the same seed gives the same orders. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A factory of orders. Ids are 18 (orders) and 19 (packages, lines) digits like the
 * marketplace's, with the start time in them so two sandbox runs never reuse one.
 */
export function createOrderFactory({ seed = Date.now(), startMs = Date.now() } = {}) {
  const random = seededRandom(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const stamp = BigInt(startMs % 1e11) * 1000n;
  let counter = 0n;
  const nextId = (prefix) => String(prefix + stamp + counter);

  /**
   * A new order placed at `nowMs`: paid (AWAITING_SHIPMENT) unless `paid` is false (UNPAID).
   * `lines`: [{seller_sku, quantity}] from the catalog, else one to three random lines.
   */
  function next({ nowMs, paid = true, lines } = {}) {
    counter += 1n;
    const orderId = nextId(576000000000000000n);
    const packageId = nextId(1152900000000000000n);
    const chosen = lines ? lines.map(({ seller_sku: sku, quantity }) => {
      const item = CATALOG.find((c) => c.seller_sku === sku);
      if (!item) throw new RangeError(`no such seller_sku in the sandbox catalog: ${sku}`);
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 99) throw new RangeError('quantity must be 1 to 99');
      return { item, quantity };
    }) : [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(CATALOG)))]
      .map((item) => ({ item, quantity: 1 + Math.floor(random() * 2) }));
    if (chosen.length === 0 || chosen.length > 20) throw new RangeError('an order has 1 to 20 lines');
    const buyer = pick(BUYERS);
    const created = Math.floor(nowMs / 1000);
    const placedMs = created * 1000; // whole seconds, so paid_time (seconds) is never before it
    const subTotal = chosen.reduce((sum, { item, quantity }) => sum + item.price * quantity, 0);
    const shippingFee = pick([15000, 22000, 30000]);
    const items = chosen.map(({ item, quantity }) => ({
      sku_id: item.sku_id, product_id: item.product_id, sku_name: item.sku_name, quantity,
      seller_sku: item.seller_sku, product_name: item.product_name, sku_image: 'https://example.invalid/sku.png',
      sku_original_price: item.price, sku_sale_price: item.price, sku_platform_discount: 0, sku_seller_discount: 0,
      sku_ext_status: 0, sku_display_status: paid ? 111 : 100,
    }));
    return {
      order_id: orderId,
      order_status: paid ? ORDER_STATUS.AWAITING_SHIPMENT : ORDER_STATUS.UNPAID,
      payment_method: pick(['COD', 'BANK_CARD']),
      delivery_option: 'STANDARD',
      shipping_provider: 'GHN Express',
      shipping_provider_id: '6617675021119438849',
      create_time: String(placedMs),
      ...(paid ? { paid_time: created } : {}),
      buyer_message: pick(MESSAGES),
      payment_info: {
        currency: 'VND', sub_total: subTotal, shipping_fee: shippingFee, seller_discount: 0,
        total_amount: subTotal + shippingFee, original_total_product_price: subTotal, original_shipping_fee: shippingFee,
        shipping_fee_seller_discount: 0, shipping_fee_platform_discount: 0,
      },
      recipient_address: {
        full_address: `Vietnam, ${buyer.state}, ${buyer.city}, ${buyer.district}, ${buyer.street}`,
        region: 'Vietnam', state: buyer.state, city: buyer.city, district: buyer.district, town: '',
        phone: buyer.phone, name: buyer.name, zipcode: '700000', address_detail: buyer.street,
        address_line_list: [buyer.street],
      },
      item_list: items,
      rts_sla: created + 72 * HOUR_S,
      tts_sla: created + 96 * HOUR_S,
      cancel_order_sla: created + 24 * HOUR_S,
      receiver_address_updated: 0,
      update_time: created,
      buyer_uid: String(7493990000000000000n + counter),
      fulfillment_type: 0,
      order_line_list: items.map((it, i) => ({ order_line_id: nextId(576465000000000000n + BigInt(i) * 10n ** 12n), sku_id: it.sku_id })),
      package_list: [{ package_id: packageId }],
    };
  }

  return { next, catalog: CATALOG };
}
