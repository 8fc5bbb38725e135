// The candidate's reference app: sign in → passwords (first login) → pledge → draft → submit →
// a receipt verified here, in the browser (Ed25519 over `canonical`, SHA-256, the hash chain);
// and around the filing: the plans, past scores, suggestions, favourites, profile and notices.
// No framework: the DOM is built with h() (kit.js); every call goes through the typed client.
import { h, input, show, say, session, clientFor, answer, problemView } from '/assets/kit.js';
import { plansView, scoresView, suggestionsView, favoritesView, profileView, noticesView } from '/assets/browse.js';

const batch = 'undergrad';
const who = session('zy_token');
const client = clientFor(who);
const state = { draft: null, pendingKey: null, pendingBody: null };

// ------------------------------------------------------------------ sign in, passwords, pledge

function loginView(error) {
  const exam = h('input', { id: 'exam_no', type: 'text', autocomplete: 'username', inputmode: 'numeric', required: true });
  const pw = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  show(h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const { data } = await answer(client.POST('/api/v1/auth/login', { body: { exam_no: exam.value.trim(), password: pw.value } }));
      who.token = data.token;
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
    const v = (id) => input(`#${id}`).value;
    try {
      await answer(client.POST('/api/v1/me/passwords', { body: { current_password: v('current_password'), login_password: v('login_password'), save_password: v('save_password') } }));
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
    try { await answer(client.POST('/api/v1/me/pledge')); await route(); } catch (e) { pledgeView(e); }
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
    group: Number(input('[name=group]', li).value),
    majors: input('[name=majors]', li).value.split(/[,，\s]+/).filter(Boolean),
    accept_adjustment: input('[name=adjust]', li).checked,
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
    input('[name=group]', li).focus();
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
  try { draft = await answer(client.GET('/api/v1/drafts/{batch}', { params: { path: { batch } } })); } catch (e) { return show(problemView(e)); }
  state.draft = { version: draft.data.version };
  const list = h('ol', { class: 'choices' }, (draft.data.choices || []).map(choiceItem));
  const out = h('div', {});
  const savePw = h('input', { id: 'save_password', type: 'password', autocomplete: 'off' });
  const saveDraft = async () => {
    try {
      const r = await answer(client.PUT('/api/v1/drafts/{batch}', { params: { path: { batch } }, body: { choices: readChoices() }, headers: { 'If-Match': `"${state.draft.version}"` } }));
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
      const r = await answer(client.POST('/api/v1/applications/{batch}', { params: { path: { batch } }, body, headers: { 'Idempotency-Key': state.pendingKey } }));
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
    const { data: pk } = await answer(client.GET('/api/v1/receipts/public-key'));
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
  try { page = await answer(client.GET('/api/v1/applications/{batch}/history', { params: { path: { batch } } })); } catch (e) { return show(problemView(e)); }
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
  if (!who.token) { nav.replaceChildren(); return loginView(); }
  let me;
  try { me = await answer(client.GET('/api/v1/me')); } catch (e) {
    if (e.code === 'passwords_required') return passwordsView();
    if (e.code === 'pledge_required') return pledgeView();
    who.token = '';
    return loginView(e.status === 401 ? null : e);
  }
  const unread = me.data.unread_notices ? `（${me.data.unread_notices}）` : '';
  const go = (label, view) => h('button', { type: 'button', onclick: () => view(ctx) }, label);
  nav.replaceChildren(
    go('我的志愿', () => draftView()),
    go('历次提交', () => historyView()),
    go('招生计划', plansView),
    go('历年分数', scoresView),
    go('推荐', suggestionsView),
    go('收藏', favoritesView),
    go(`通知${unread}`, noticesView),
    go('个人信息', profileView),
    h('button', { type: 'button', onclick: async () => { try { await answer(client.POST('/api/v1/auth/logout')); } catch {} who.token = ''; route(); } }, '退出'));
  if (me.data.must_set_passwords) return passwordsView();
  if (me.data.pledged_at == null) return pledgeView();
  return draftView();
}

// What the browsing screens need of this page.
const ctx = { client, batch, draftView: () => draftView() };

route();
