// What both audiences' pages share: the DOM builder, the status line, the API client (typed by the
// contract through openapi-fetch) and the problem view. Every error is shown from its `code`.
import createClient from '/assets/openapi-fetch.mjs';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
  main.focus();
}

/**
 * A form control found by selector (an input, select or textarea: all have value and checked).
 * @param {string} selector
 * @param {ParentNode} [within]
 */
export function input(selector, within = document) {
  return /** @type {HTMLInputElement} */ (within.querySelector(selector));
}

export function say(text) { document.getElementById('status').textContent = text; }

export const messages = {
  unauthenticated: '请先登录（或登录已过期）。',
  invalid_credentials: '账号或密码不正确。',
  account_locked: '密码错误次数过多，账户暂时锁定。',
  too_many_requests: '请求过于频繁，请稍后再试。',
  passwords_required: '请先设置登录密码和保存密码。',
  pledge_required: '请先阅读并同意填报承诺书。',
  wrong_save_password: '保存密码不正确。',
  window_closed: '当前不在填报时间内。',
  validation_failed: '内容不符合规则，请按下列提示修改。',
  precondition_failed: '草稿已在其他页面或设备上修改：已为您载入最新版本，请核对后再保存。',
  conflict: '志愿已在其他页面或设备上提交过新的版本，请刷新后再提交。',
  unavailable: '系统繁忙，请稍后再试。',
  invalid_field: '填写的内容有误。',
  forbidden: '没有权限查看或修改这一项。',
  not_found: '没有找到。',
};

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(messages[problem.code] || problem.title || `HTTP ${status}`);
    Object.assign(this, { status, problem, code: problem.code, retryAfter });
  }
}

// The session's bearer token, kept per tab under `key`.
export function session(key) {
  return {
    get token() { return sessionStorage.getItem(key) || ''; },
    set token(t) { if (t) sessionStorage.setItem(key, t); else sessionStorage.removeItem(key); },
  };
}

/**
 * A client of the contract: paths, parameters and bodies are checked against web/types/api.d.ts
 * (tsc --checkJs, tests/server/web_journey_test.cpp); answers are { data, etag } or an ApiError.
 * @param {{ token: string }} who
 */
export function clientFor(who) {
  /** @type {import('openapi-fetch').Client<import('../types/api').paths>} */
  const client = createClient({ baseUrl: '' });
  client.use({
    onRequest({ request }) {
      if (who.token) request.headers.set('Authorization', `Bearer ${who.token}`);
      return request;
    },
  });
  return client;
}

/**
 * Waits for one call of the client: its data and ETag, or the problem thrown as an ApiError.
 * @template T
 * @param {Promise<{ data?: T, error?: any, response: Response }>} pending
 * @returns {Promise<{ data: T, etag: string | null }>}
 */
export async function answer(pending) {
  const { data, error, response } = await pending;
  if (!response.ok) throw new ApiError(response.status, error || {}, Number(response.headers.get('Retry-After') || 0));
  return { data: /** @type {T} */ (data), etag: response.headers.get('ETag') };
}

export function problemView(e) {
  const box = h('div', { class: 'error', role: 'alert' }, e.message);
  const detail = e.problem && e.problem.detail;
  if (detail) box.append(h('div', { class: 'hint' }, detail));
  for (const v of (e.problem && e.problem.violations) || []) {
    box.append(h('div', {}, v.choice == null ? v.message_zh || v.message : `第 ${v.choice + 1} 志愿：${v.message_zh}`));
  }
  if (e.retryAfter) box.append(h('div', { class: 'hint' }, `请在 ${e.retryAfter} 秒后重试。`));
  return box;
}

// A table of rows of cells under `head`; on a phone each row reads as a card, every cell
// labelled with its column (style.css, table.data).
export function table(caption, head, rows) {
  return h('table', { class: 'data' }, caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { 'data-label': head[i] }, c))))));
}
