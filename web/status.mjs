// status.mjs: what is always visible: online or offline (navigator.onLine and its events), and
// the store's save state (packdesk-store.mjs's statuses: 'writer' | 'read-only' | 'saving' |
// 'saved' | 'save-failed'), with a retry button after a failed save.
import { t } from './i18n.mjs';

export class StatusBar {
  #net;
  #save;
  #retry;
  #saveState = 'writer';
  #error = null;

  /** net, save: the two status elements; retry: the retry button; onRetry: called on its click. */
  constructor({ net, save, retry, onRetry }) {
    this.#net = net;
    this.#save = save;
    this.#retry = retry;
    retry.addEventListener('click', onRetry);
    addEventListener('online', () => this.render());
    addEventListener('offline', () => this.render());
  }

  /** A status from the store ({status, error?}). */
  store({ status, error }) {
    this.#saveState = status;
    this.#error = error ?? null;
    this.render();
  }

  render() {
    const online = navigator.onLine;
    this.#net.dataset.state = online ? 'online' : 'offline';
    this.#net.textContent = t(online ? 'net.online' : 'net.offline');
    this.#save.dataset.state = this.#saveState;
    this.#save.textContent = t(`save.${this.#saveState}`);
    this.#save.title = this.#error ? `${this.#error.code}: ${this.#error.message}` : '';
    this.#retry.hidden = this.#saveState !== 'save-failed';
  }
}
