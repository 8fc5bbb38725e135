// The admissions office's workbench (招生办): sign in (and the first password change), the
// unit's filing figures, the candidates of its subtree who have not filed, their CSV export,
// a chase reminder to all of them and a recorded reason per candidate. Same kit as the
// candidate's page; every call goes through the typed client.
import { h, input, show, say, session, clientFor, answer, problemView, table } from '/assets/kit.js';

const batch = 'undergrad';
const who = session('zy_office_token');
const client = clientFor(who);

const reasons = { abandon: '放弃', abroad: '出国', repeat: '复读', military: '参军', unreachable: '联系不上', other: '其他' };
const roles = { viewer: '查看', operator: '经办', manager: '管理' };

function loginView(error) {
  const user = h('input', { id: 'username', type: 'text', autocomplete: 'username', required: true });
  const pw = h('input', { id: 'password', type: 'password', autocomplete: 'current-password', required: true });
  show(h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    try {
      const { data } = await answer(client.POST('/api/v1/admin/auth/login', { body: { username: user.value.trim(), password: pw.value } }));
      who.token = data.token;
      await route();
    } catch (e) { loginView(e); }
  } },
  h('h2', {}, '工作人员登录'),
  h('label', { for: 'username' }, '用户名'), user,
  h('label', { for: 'password' }, '密码'), pw,
  h('p', {}, h('button', { class: 'primary', type: 'submit' }, '登录')),
  error ? problemView(error) : null));
}

function passwordView(error) {
  const field = (id, text, auto) => [h('label', { for: id }, text), h('input', { id, type: 'password', autocomplete: auto, required: true })];
  show(h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    const v = (id) => input(`#${id}`).value;
    try {
      await answer(client.POST('/api/v1/admin/me/password', { body: { current_password: v('current_password'), new_password: v('new_password') } }));
      await route();
    } catch (e) { passwordView(e); }
  } },
  h('h2', {}, '首次登录：修改密码'),
  ...field('current_password', '当前密码', 'current-password'),
  ...field('new_password', '新密码（8–16 位，须包含字母和数字）', 'new-password'),
  h('p', {}, h('button', { class: 'primary', type: 'submit' }, '修改密码')),
  error ? problemView(error) : null));
}

// ------------------------------------------------------------------ the unit

function figures(s) {
  const cells = (r) => [r.unit.name || r.unit.code, r.eligible, r.logged_in, r.draft_only, r.submitted, r.not_submitted];
  return table('本科批填报进度', ['单位', '上线人数', '已登录', '仅有草稿', '已提交', '未提交'], [cells(s.unit), ...(s.children || []).map(cells)]);
}

async function download(unit) {
  const { data } = await answer(client.GET('/api/v1/admin/units/{unit}/unfiled', { params: { path: { unit }, query: { batch, format: 'csv' } }, parseAs: 'blob' }));
  const a = h('a', { href: URL.createObjectURL(/** @type {Blob} */ (data)), download: `unfiled-${unit}-${batch}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  say('已导出 CSV');
}

function reasonCell(c) {
  const id = `reason-${c.exam_no}`;
  const pick = h('select', { id, 'aria-label': `${c.name} 未填报原因` },
    h('option', { value: '' }, '（未记录）'), Object.entries(reasons).map(([v, t]) => h('option', { value: v, selected: c.reason === v }, t)));
  const out = h('span', { role: 'status' });
  pick.addEventListener('change', async () => {
    if (!pick.value) return;
    try {
      const { data } = await answer(client.PUT('/api/v1/admin/candidates/{exam_no}/unfiled-reason', { params: { path: { exam_no: c.exam_no } }, body: { batch, reason: /** @type {any} */ (pick.value) } }));
      out.textContent = ` 已记录：${data.reason_zh || reasons[pick.value]}`;
    } catch (e) { out.replaceChildren(problemView(e)); }
  });
  return h('span', {}, pick, out);
}

async function unitView(me, pageToken) {
  const unit = me.unit.code;
  let stats;
  let page;
  try {
    [{ data: stats }, { data: page }] = await Promise.all([
      answer(client.GET('/api/v1/admin/units/{unit}/stats', { params: { path: { unit }, query: { batch } } })),
      answer(client.GET('/api/v1/admin/units/{unit}/unfiled', { params: { path: { unit }, query: { batch, page_token: pageToken } } }))]);
  } catch (e) { return show(h('section', {}, h('h2', {}, me.unit.name), problemView(e))); }
  const out = h('div', {});
  const message = h('textarea', { id: 'chase_message', rows: 3 }, '本科批志愿填报即将截止，请尚未提交的考生尽快登录系统提交志愿。');
  const chase = async () => {
    try {
      const { data } = await answer(client.POST('/api/v1/admin/reminders', { body: { unit, batch, message: message.value } }));
      out.replaceChildren(h('p', { class: 'ok', id: 'chased' }, `已向 ${data.recipients} 名未提交的考生发送提醒。`));
    } catch (e) { out.replaceChildren(problemView(e)); }
  };
  const exportCsv = async () => { try { await download(unit); } catch (e) { out.replaceChildren(problemView(e)); } };
  const rows = page.candidates.map((c) => [c.exam_no, c.name, c.school ? c.school.name : '', c.phone, c.last_login || '从未登录', c.draft ? '有草稿' : '无', reasonCell(c)]);
  show(h('section', {},
    h('h2', {}, `${me.unit.name}（${unit}）`),
    figures(stats),
    h('h3', {}, `未提交的考生${page.candidates.length ? '' : '：无'}`),
    page.candidates.length ? table(null, ['考生号', '姓名', '学校', '手机', '最近登录', '草稿', '未填报原因'], rows) : null,
    page.next_page_token ? h('p', {}, h('button', { type: 'button', onclick: () => unitView(me, page.next_page_token) }, '下一页')) : null,
    h('p', {}, h('button', { type: 'button', id: 'export', onclick: exportCsv }, '导出未提交名单（CSV）')),
    h('label', { for: 'chase_message' }, '催报提醒（发到每名未提交考生的通知）'), message,
    h('p', {}, h('button', { type: 'button', id: 'chase', class: 'primary', onclick: chase }, '发送催报提醒')),
    out));
}

async function route() {
  const nav = document.getElementById('nav');
  if (!who.token) { nav.replaceChildren(); return loginView(); }
  let me;
  try { me = await answer(client.GET('/api/v1/admin/me')); } catch (e) {
    who.token = '';
    return loginView(e.status === 401 ? null : e);
  }
  const data = /** @type {any} */ (me.data);
  nav.replaceChildren(
    h('span', {}, `${data.username}（${roles[data.role] || data.role}）`),
    h('button', { type: 'button', onclick: () => unitView(data) }, '本单位'),
    h('button', { type: 'button', onclick: async () => { try { await answer(client.POST('/api/v1/admin/auth/logout')); } catch {} who.token = ''; route(); } }, '退出'));
  if (data.must_change_password) return passwordView();
  return unitView(data);
}

route();
