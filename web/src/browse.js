// The candidate's browsing screens around the filing: the plans, past scores, suggestions,
// favourites, profile and contact, notices. Each reads through the typed client in ctx; a group
// found anywhere can be kept as a favourite or looked up in the past scores.
import { h, input, show, say, answer, problemView, table } from '/assets/kit.js';

const batchNames = { early_undergrad: '本科提前批', undergrad: '本科批', early_vocational: '专科提前批', vocational: '专科批' };
const trackNames = { physics: '物理类', history: '历史类' };

// Shows the screen `title` with `body()`'s nodes; a problem is shown in their place.
async function screen(title, body) {
  let nodes;
  try { nodes = await body(); } catch (e) { nodes = [problemView(e)]; }
  show(h('section', {}, h('h2', {}, title), ...nodes));
}

function select(id, label, options, value) {
  return [h('label', { for: id }, label),
    h('select', { id, name: id }, Object.entries(options).map(([v, text]) => h('option', { value: v, selected: v === value }, text)))];
}

async function keep(ctx, kind, id, out) {
  try {
    await answer(ctx.client.PUT('/api/v1/favorites/{kind}/{id}', { params: { path: { kind, id: String(id) } }, body: { category: '默认' } }));
    out.replaceChildren(h('p', { class: 'ok' }, '已加入收藏。'));
    say('已加入收藏');
  } catch (e) { out.replaceChildren(problemView(e)); }
}

// ------------------------------------------------------------------ plans

export function plansView(ctx, query = { batch: ctx.batch, fits_me: 'true' }) {
  return screen('招生计划', async () => {
    const { data } = await answer(ctx.client.GET('/api/v1/plans', { params: { query } }));
    const q = h('input', { id: 'plan_q', type: 'text', value: query.q || '' });
    const out = h('div', {});
    const form = h('form', { class: 'filters', role: 'search', onsubmit: (ev) => {
      ev.preventDefault();
      const v = (id) => input(`#${id}`).value;
      plansView(ctx, { batch: v('plan_batch'), q: q.value.trim() || undefined, fits_me: input('#plan_fits').checked ? 'true' : undefined });
    } },
    h('div', { class: 'row' },
      h('div', {}, ...select('plan_batch', '批次', batchNames, query.batch)),
      h('div', {}, h('label', { for: 'plan_q' }, '院校或专业名称、代号'), q),
      h('div', {}, h('input', { id: 'plan_fits', type: 'checkbox', checked: query.fits_me === 'true' }), ' ', h('label', { for: 'plan_fits', class: 'inline' }, '只看我可报的'))),
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, '查询')));
    const rows = data.groups.map((g) => [
      `${g.college_name || g.college_code}（${g.college_code}）`,
      `${g.group_code} 组（${g.id}）`,
      g.requirement.text_zh || '',
      g.majors.map((m) => `${m.code} ${m.name}（${m.plan_count} 人）`).join('；'),
      g.plan_count,
      h('span', {},
        h('button', { type: 'button', 'aria-label': `收藏 ${g.college_name || g.college_code} ${g.group_code} 组`, onclick: () => keep(ctx, 'group', g.id, out) }, '收藏'), ' ',
        h('button', { type: 'button', 'aria-label': `${g.college_name || g.college_code} ${g.group_code} 组的历年分数`, onclick: () => scoresView(ctx, { group: g.id }) }, '历年分数')),
    ]);
    const more = data.next_page_token
      ? h('p', {}, h('button', { type: 'button', onclick: () => plansView(ctx, { ...query, page_token: data.next_page_token }) }, '下一页'))
      : null;
    return [form, h('p', { id: 'plans_total' }, `共 ${data.total} 个院校专业组。`),
      table(null, ['院校', '专业组', '选科要求', '专业', '计划数', '操作'], rows), more, out];
  });
}

// ------------------------------------------------------------------ past scores

export function scoresView(ctx, query) {
  return screen('历年录取分数', async () => {
    const college = h('input', { id: 'score_college', type: 'text', inputmode: 'numeric', value: (query && query.college) || '' });
    const form = h('form', { role: 'search', onsubmit: (ev) => { ev.preventDefault(); scoresView(ctx, { college: college.value.trim() }); } },
      h('label', { for: 'score_college' }, '院校代号'), college, ' ', h('button', { type: 'submit', class: 'primary' }, '查询'));
    if (!query || (!query.college && !query.group)) return [form, h('p', { class: 'hint' }, '输入院校代号，或在“招生计划”中点“历年分数”。')];
    const { data } = await answer(ctx.client.GET('/api/v1/scores', { params: { query } }));
    const rows = data.groups.flatMap((g) => g.years.map((y) => [
      `${g.college_code} ${g.group_code} 组`, y.year, y.min_score, y.min_rank, y.admitted ?? '', y.equivalent_score ?? '—']));
    return [form, table(`${data.this_year} 年的等位分按位次换算`, ['专业组', '年份', '最低分', '最低位次', '录取人数', '今年等位分'], rows)];
  });
}

// ------------------------------------------------------------------ suggestions

export function suggestionsView(ctx) {
  return screen('冲稳保推荐', async () => {
    const { data } = await answer(ctx.client.GET('/api/v1/suggestions', { params: { query: { batch: ctx.batch } } }));
    const out = h('div', {});
    const part = (title, part) => [h('h3', {}, `${title}（${part.total}）`),
      table(null, ['院校', '专业组', '近年平均最低位次', ''], part.groups.map((g) => [
        `${g.college_name || ''}（${g.college_code}）`, g.group_code, g.average_min_rank ?? '—',
        h('button', { type: 'button', 'aria-label': `收藏 ${g.college_name || g.college_code} ${g.group_code} 组`, onclick: () => keep(ctx, 'group', g.group_id, out) }, '收藏')]))];
    return [h('p', {}, `按您的位次 ${data.rank}，参考近年录取最低位次。推荐仅供参考，请以招生计划和章程为准。`),
      ...part('冲一冲', data.reach), ...part('稳一稳', data.match), ...part('保一保', data.safe), out];
  });
}

// ------------------------------------------------------------------ favourites

export function favoritesView(ctx) {
  return screen('我的收藏', async () => {
    const { data } = await answer(ctx.client.GET('/api/v1/favorites'));
    const out = h('div', {});
    const drop = async (f) => {
      try {
        await answer(ctx.client.DELETE('/api/v1/favorites/{kind}/{id}', { params: { path: { kind: f.kind, id: f.id } } }));
        say('已取消收藏');
        favoritesView(ctx);
      } catch (e) { out.replaceChildren(problemView(e)); }
    };
    const load = async () => {
      try {
        const { data: r } = await answer(ctx.client.POST('/api/v1/drafts/{batch}/import-favorites', { params: { path: { batch: ctx.batch } } }));
        out.replaceChildren(h('p', { class: 'ok' }, `已把 ${r.imported.length} 个专业组加入草稿（第 ${r.version} 版）。`));
      } catch (e) { out.replaceChildren(problemView(e)); }
    };
    const rows = data.items.map((f) => [f.category, f.kind === 'group' ? '专业组' : '院校', f.name || f.id,
      f.kind === 'group' ? `${f.college_code} ${f.group_code} 组` : f.id,
      h('button', { type: 'button', 'aria-label': `取消收藏 ${f.name || f.id}`, onclick: () => drop(f) }, '取消收藏')]);
    return [h('p', { class: 'hint' }, `最多 ${data.max_categories} 个分类、${data.max_items} 个收藏。`),
      data.items.length ? table(null, ['分类', '类型', '名称', '代号', ''], rows) : h('p', {}, '还没有收藏。'),
      h('p', {}, h('button', { type: 'button', onclick: load }, '把收藏的专业组加入草稿')), out];
  });
}

// ------------------------------------------------------------------ profile and contact

export function profileView(ctx) {
  return screen('个人信息', async () => {
    const [{ data: me }, { data: logins }] = await Promise.all([answer(ctx.client.GET('/api/v1/me')), answer(ctx.client.GET('/api/v1/me/logins'))]);
    const a = /** @type {Record<string, string>} */ ((me.contact && me.contact.address) || {});
    const field = (id, label, value, attrs = {}) => [h('label', { for: id }, label), h('input', { id, type: 'text', value: value || '', ...attrs })];
    const out = h('div', {});
    const form = h('form', { class: 'card', onsubmit: async (ev) => {
      ev.preventDefault();
      const v = (id) => input(`#${id}`).value.trim();
      const address = { province: v('c_province'), city: v('c_city'), district: v('c_district'), street: v('c_street'), postcode: v('c_postcode'), recipient: v('c_recipient') };
      try {
        await answer(ctx.client.PUT('/api/v1/me/contact', { body: { phone: v('c_phone'), address } }));
        out.replaceChildren(h('p', { class: 'ok' }, '联系方式已保存。'));
      } catch (e) { out.replaceChildren(problemView(e)); }
    } },
    h('h3', {}, '联系方式（录取通知书邮寄地址）'),
    // The profile shows the phone masked: a change retypes it whole.
    ...field('c_phone', `手机号${me.contact && me.contact.phone ? `（现为 ${me.contact.phone}）` : ''}`, '', { inputmode: 'tel', autocomplete: 'tel' }),
    ...field('c_province', '省', a.province), ...field('c_city', '市', a.city), ...field('c_district', '区县', a.district),
    ...field('c_street', '详细地址', a.street, { autocomplete: 'street-address' }), ...field('c_postcode', '邮政编码', a.postcode, { inputmode: 'numeric', autocomplete: 'postal-code' }),
    ...field('c_recipient', '收件人', a.recipient),
    h('p', {}, h('button', { type: 'submit', class: 'primary' }, '保存联系方式')), out);
    const school = me.school ? me.school.name : '';
    return [
      h('table', {}, h('tbody', {}, [['考生号', me.exam_no], ['姓名', me.name], ['身份证号', me.id_number], ['学校', school],
        ['首选科目', trackNames[me.track] || me.track], ['再选科目', (me.electives || []).join('、')], ['成绩', me.score ?? '—'], ['位次', me.rank ?? '—']]
        .map(([k, v]) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v))))),
      form,
      table('最近登录', ['时间', '地址', '结果'], (logins.logins || []).map((l) => [l.at, l.ip, l.outcome]))];
  });
}

// ------------------------------------------------------------------ notices

export function noticesView(ctx) {
  return screen('通知', async () => {
    const { data } = await answer(ctx.client.GET('/api/v1/notices'));
    const read = async (n, li) => {
      try {
        await answer(ctx.client.POST('/api/v1/notices/{id}/read', { params: { path: { id: n.id } } }));
        li.classList.add('read');
        li.querySelector('button').remove();
        say('已标为已读');
      } catch (e) { li.append(problemView(e)); }
    };
    if (!data.notices.length) return [h('p', {}, '暂无通知。')];
    return [h('ul', { class: 'notices' }, data.notices.map((n) => {
      const li = h('li', { class: n.read ? 'read' : '' }, h('h3', {}, n.title), h('p', { class: 'hint' }, `${n.created_at}${n.batch ? ' · ' + (batchNames[n.batch] || n.batch) : ''}${n.read ? '' : ' · 未读'}`), h('p', {}, n.body));
      if (!n.read) li.append(h('button', { type: 'button', onclick: () => read(n, li) }, '标为已读'));
      return li;
    }))];
  });
}
