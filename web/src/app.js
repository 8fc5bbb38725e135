// The candidate's reference app: sign in → passwords (first login) → pledge → draft → submit →
// a receipt verified here, in the browser (Ed25519 over `canonical`, SHA-256, the hash chain).
// No framework: the DOM is built with h(); every error is shown from the problem's `code`.

const batch = 'undergrad';
const state = { token: sessionStorage.getItem('zy_token') || '', draft: null, pendingKey: null, pendingBody: null };

// ------------------------------------------------------------------ the DOM

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== false && v != null) el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c != null) el.append(c instanceof Node ? c : String(c));
  return el;
}

function show(...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes);
  main.focus();
}

function say(text) { document.getElementById('status').textContent = text; }

// ------------------------------------------------------------------ the API

const messages = {
  unauthenticated: '请先登录（或登录已过期）。',
  invalid_credentials: '考生号或密码不正确。',
  account_locked: '密码错误次数过多，账户暂时锁定。',
  too_many_requests: '请求过于频繁，请稍后再试。',
  passwords_required: '请先设置登录密码和保存密码。',
  pledge_required: '请先阅读并同意填报承诺书。',
  wrong_save_password: '保存密码不正确。',
  window_closed: '当前不在填报时间内。',
  validation_failed: '志愿不符合填报规则，请按下列提示修改。',
  precondition_failed: '草稿已在其他页面或设备上修改：已为您载入最新版本，请核对后再保存。',
  conflict: '志愿已在其他页面或设备上提交过新的版本，请刷新后再提交。',
  unavailable: '系统繁忙，请稍后再试。',
  invalid_field: '填写的内容有误。',
};

class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(messages[problem.code] || problem.title || `HTTP ${status}`);
    Object.assign(this, { status, problem, code: problem.code, retryAfter });
  }
}

async function api(method, path, { body, headers = {} } = {}) {
  const h2 = { ...headers };
  if (state.token) h2.Authorization = `Bearer ${state.token}`;
  if (body !== undefined) h2['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers: h2, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) throw new ApiError(res.status, data || {}, Number(res.headers.get('Retry-After') || 0));
  return { data, etag: res.headers.get('ETag') };
}

function problemView(e) {
  const box = h('div', { class: 'error', role: 'alert' }, e.message);
  const detail = e.problem && e.problem.detail;
  if (detail) box.append(h('div', { class: 'hint' }, detail));
  for (const v of (e.problem && e.problem.violations) || []) {
    box.append(h('div', {}, `第 ${v.choice + 1} 志愿：${v.message_zh}`));
  }
  if (e.retryAfter) box.append(h('div', { class: 'hint' }, `请在 ${e.retryAfter} 秒后重试。`));
  return box;
}

// ------------------------------------------------------------------ sign in, passwords, pledge

function loginView(error) {
  const exam = h('input', { id: 'exam_no', type: 'text', autocomplete: 'username', inputmode: 'numeric', required: true });
  const pw = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  show(h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const { data } = await api('POST', '/api/v1/auth/login', { body: { exam_no: exam.value.trim(), password: pw.value } });
      state.token = data.token;
      sessionStorage.setItem('zy_token', data.token);
      await route();
    } catch (e) { loginView(e); }
  } },
  h('h2', {}, '考生登录'),
  h('label', { for: 'exam_no' }, '考生号'), exam,
  h('label', { for: 'password' }, '登录密码'), pw,
  h('p', {}, h('button', { class: 'primary', type: 'submit' }, '登录')),
  error ? problemView(error) : null));
}

function passwordsView(error) {
  const field = (id, text, auto) => [h('label', { for: id }, text), h('input', { id, type: 'password', autocomplete: auto, required: true })];
  show(h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    const v = (id) => document.getElementById(id).value;
    try {
      await api('POST', '/api/v1/me/passwords', { body: { current_password: v('current_password'), login_password: v('login_password'), save_password: v('save_password') } });
      await route();
    } catch (e) { passwordsView(e); }
  } },
  h('h2', {}, '首次登录：设置密码'),
  h('p', { class: 'hint' }, '登录密码用于登录，保存密码用于提交志愿，两者必须不同。密码 8–16 位，须包含字母和数字，不能是常见密码，也不能包含考生号或身份证号。'),
  ...field('current_password', '当前密码（初始密码）', 'current-password'),
  ...field('login_password', '新的登录密码', 'new-password'),
  ...field('save_password', '保存密码', 'new-password'),
  h('p', {}, h('button', { class: 'primary', type: 'submit' }, '设置密码')),
  error ? problemView(error) : null));
}

function pledgeView(error) {
  const agree = h('input', { id: 'agree', type: 'checkbox', required: true });
  show(h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    try { await api('POST', '/api/v1/me/pledge'); await route(); } catch (e) { pledgeView(e); }
  } },
  h('h2', {}, '填报承诺书'),
  h('p', {}, '本人承诺：所填报的志愿是本人真实意愿，由本人亲自填报；妥善保管密码，不委托他人填报；因密码泄露造成的后果由本人承担。'),
  h('p', {}, agree, ' ', h('label', { for: 'agree', class: 'inline' }, '我已阅读并同意以上承诺')),
  h('p', {}, h('button', { class: 'primary', type: 'submit' }, '同意并继续')),
  error ? problemView(error) : null));
}

// ------------------------------------------------------------------ the draft editor

function readChoices() {
  return [...document.querySelectorAll('ol.choices > li')].map((li) => ({
    group: Number(li.querySelector('[name=group]').value),
    majors: li.querySelector('[name=majors]').value.split(/[,，\s]+/).filter(Boolean),
    accept_adjustment: li.querySelector('[name=adjust]').checked,
  }));
}

function choiceItem(c, i) {
  const li = h('li', {});
  const move = (delta) => {
    const list = li.parentElement;
    const items = [...list.children];
    const to = items.indexOf(li) + delta;
    if (to < 0 || to >= items.length) return;
    if (delta < 0) list.insertBefore(li, items[to]); else list.insertBefore(li, items[to].nextSibling);
    li.querySelector('[name=group]').focus();
    say(`已移到第 ${to + 1} 位`);
  };
  li.append(h('div', { class: 'row' },
    h('div', {}, h('label', { for: `g${i}` }, '院校专业组代号'), h('input', { id: `g${i}`, name: 'group', type: 'number', value: c.group || '' })),
    h('div', {}, h('label', { for: `m${i}` }, '专业代号（最多 6 个，逗号分隔）'), h('input', { id: `m${i}`, name: 'majors', type: 'text', value: (c.majors || []).join(',') })),
    h('div', {}, h('input', { id: `a${i}`, name: 'adjust', type: 'checkbox', checked: c.accept_adjustment !== false }), ' ', h('label', { for: `a${i}`, class: 'inline' }, '服从专业调剂'))),
  h('div', { class: 'row' },
    h('button', { type: 'button', onclick: () => move(-1), 'aria-label': '上移' }, '↑ 上移'),
    h('button', { type: 'button', onclick: () => move(1), 'aria-label': '下移' }, '↓ 下移'),
    h('button', { type: 'button', onclick: () => { li.remove(); say('已删除'); } }, '删除')));
  return li;
}

async function draftView(notice) {
  let draft;
  try { draft = await api('GET', `/api/v1/drafts/${batch}`); } catch (e) { return show(problemView(e)); }
  state.draft = { version: draft.data.version };
  const list = h('ol', { class: 'choices' }, (draft.data.choices || []).map(choiceItem));
  const out = h('div', {});
  const savePw = h('input', { id: 'save_password', type: 'password', autocomplete: 'off' });
  const saveDraft = async () => {
    try {
      const r = await api('PUT', `/api/v1/drafts/${batch}`, { body: { choices: readChoices() }, headers: { 'If-Match': `"${state.draft.version}"` } });
      state.draft.version = r.data.version;
      const n = (r.data.violations || []).length;
      out.replaceChildren(h('p', { class: 'ok' }, `草稿已保存（第 ${r.data.version} 版）。`), n ? h('p', { class: 'hint' }, `还有 ${n} 处不符合规则，正式提交前请修改。`) : '');
    } catch (e) {
      if (e.code === 'precondition_failed') return draftView(e);
      out.replaceChildren(problemView(e));
    }
  };
  const submit = async () => {
    const body = { choices: readChoices(), save_password: savePw.value };
    const text = JSON.stringify(body);
    // One Idempotency-Key per form: a retry after a lost answer replays the same receipt.
    if (state.pendingBody !== text) { state.pendingKey = crypto.randomUUID(); state.pendingBody = text; }
    try {
      const r = await api('POST', `/api/v1/applications/${batch}`, { body, headers: { 'Idempotency-Key': state.pendingKey } });
      state.pendingKey = state.pendingBody = null;
      await receiptView(r.data);
    } catch (e) {
      out.replaceChildren(problemView(e));
      if ((e.status === 503 || e.status === 429) && e.retryAfter) setTimeout(submit, e.retryAfter * 1000);
    }
  };
  show(h('section', {},
    h('h2', {}, '本科批 志愿草稿'),
    notice ? problemView(notice) : null,
    h('p', { class: 'hint' }, '按志愿顺序填写院校专业组；可用“上移/下移”调整顺序（键盘 Tab 到按钮后按回车）。草稿随时可保存，正式提交需要保存密码。'),
    list,
    h('div', { class: 'row' },
      h('button', { type: 'button', onclick: () => { const li = choiceItem({}, list.children.length + Date.now()); list.append(li); li.querySelector('input').focus(); } }, '＋ 添加志愿'),
      h('button', { type: 'button', id: 'save-draft', onclick: saveDraft }, '保存草稿')),
    h('label', { for: 'save_password' }, '保存密码'), savePw,
    h('p', {}, h('button', { type: 'button', id: 'submit', class: 'primary', onclick: submit }, '提交正式志愿')),
    out));
}

// ------------------------------------------------------------------ the receipt, verified here

const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const hexOf = (buf) => [...new Uint8Array(buf)].map((x) => x.toString(16).padStart(2, '0')).join('');

async function verify(receipt, key) {
  const bytes = new TextEncoder().encode(receipt.canonical);
  const hashOk = hexOf(await crypto.subtle.digest('SHA-256', bytes)) === receipt.receipt_hash;
  const sigOk = await crypto.subtle.verify('Ed25519', key, b64(receipt.signature), bytes);
  // The canonical text must say what the receipt's fields say.
  const linesOk = receipt.canonical.includes(`\nversion=${receipt.version}\n`) &&
    receipt.canonical.includes(`\nchoices_sha256=${receipt.choices_sha256}\n`) &&
    receipt.canonical.includes(`\nprev=${receipt.prev_hash || ''}\n`);
  return hashOk && sigOk && linesOk;
}

async function receiptView(receipt) {
  const mark = h('p', { id: 'verified', 'aria-live': 'polite' }, '正在验证回执…');
  show(h('section', {},
    h('h2', {}, '提交成功：志愿回执'),
    h('table', {}, h('tbody', {},
      [['考生号', receipt.exam_no], ['批次', '本科批'], ['版本', receipt.version], ['受理时间', receipt.accepted_at], ['入库时间', receipt.committed_at], ['回执哈希', receipt.receipt_hash], ['上一版本哈希', receipt.prev_hash || '（无）']]
        .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
    mark,
    h('p', {}, h('button', { type: 'button', onclick: () => window.print() }, '打印回执'), ' ', h('button', { type: 'button', onclick: () => historyView() }, '历次提交'))));
  try {
    const { data: pk } = await api('GET', '/api/v1/receipts/public-key');
    const key = await crypto.subtle.importKey('raw', b64(pk.public_key), { name: 'Ed25519' }, false, ['verify']);
    const ok = await verify(receipt, key) && pk.key_id === receipt.key_id;
    mark.className = ok ? 'ok' : 'error';
    mark.textContent = ok ? '✓ 已验证：回执签名和哈希正确，由省招生考试院的密钥签发。' : '✗ 回执验证失败，请截图并联系招生考试机构。';
    mark.dataset.verified = String(ok);
  } catch (e) {
    mark.className = 'error';
    mark.textContent = `✗ 无法验证回执：${e.message}`;
    mark.dataset.verified = 'false';
  }
}

async function historyView() {
  let page;
  try { page = await api('GET', `/api/v1/applications/${batch}/history`); } catch (e) { return show(problemView(e)); }
  const versions = page.data.versions || [];
  // Newest first: each version's prev must be the next (older) one's receipt hash.
  const chainOk = versions.every((v, i) => i + 1 >= versions.length || v.receipt.prev_hash === versions[i + 1].receipt.receipt_hash);
  show(h('section', {}, h('h2', {}, '历次提交'),
    h('p', { id: 'chain', class: chainOk ? 'ok' : 'error' }, chainOk ? '✓ 各版本回执首尾相连（哈希链完整）。' : '✗ 哈希链不连续。'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, '版本'), h('th', {}, '入库时间'), h('th', {}, '志愿数'))),
      h('tbody', {}, versions.map((v) => h('tr', {}, h('td', {}, v.version), h('td', {}, v.receipt.committed_at), h('td', {}, (v.choices || []).length))))),
    h('p', {}, h('button', { type: 'button', onclick: () => draftView() }, '返回草稿'))));
}

// ------------------------------------------------------------------ where the candidate is

async function route() {
  const nav = document.getElementById('nav');
  if (!state.token) { nav.replaceChildren(); return loginView(); }
  let me;
  try { me = await api('GET', '/api/v1/me'); } catch (e) {
    if (e.code === 'passwords_required') return passwordsView();
    if (e.code === 'pledge_required') return pledgeView();
    state.token = ''; sessionStorage.removeItem('zy_token');
    return loginView(e.status === 401 ? null : e);
  }
  nav.replaceChildren(
    h('button', { type: 'button', onclick: () => draftView() }, '我的志愿'),
    h('button', { type: 'button', onclick: () => historyView() }, '历次提交'),
    h('button', { type: 'button', onclick: async () => { try { await api('POST', '/api/v1/auth/logout'); } catch {} state.token = ''; sessionStorage.removeItem('zy_token'); route(); } }, '退出'));
  if (me.data.must_set_passwords) return passwordsView();
  if (me.data.pledge_required || me.data.pledged_at === null) return pledgeView();
  return draftView();
}

route();
