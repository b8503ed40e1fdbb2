// packdesk-widget.js: the one script a storefront includes to get <packdesk-orders>:
//   <script type="module" src="https://desk.example.com/build/widget/packdesk-widget.js"></script>
// It only registers the element (the class is packdesk-orders.mjs). Safe to include twice: the
// same URL is one module, run once; another copy (another URL) finds the name taken and leaves
// the first definition in place; either way the shops are shared (widget/cores.mjs).
import { PackdeskOrders, TAG } from './packdesk-orders.mjs';

if (!customElements.get(TAG)) customElements.define(TAG, PackdeskOrders);
