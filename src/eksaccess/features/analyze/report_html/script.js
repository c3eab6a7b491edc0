/* The principal table and the per-principal chain, drawn from the embedded report data (data.py says its
   layout). Every value goes into the page as text (textContent, attributes), never as markup. */
(function () {
  'use strict';
  var RANK = {'cluster-admin': 5, admin: 4, edit: 3, view: 2, custom: 1, none: 0};
  var IMPLICIT = 'system:authenticated';
  var SHOWN = 3;          // items of a list in a cell before "N more"
  var GRAPH_SOURCES = 15; // IAM sources drawn before "+N more"
  var GRAPH_BINDINGS = 20;
  var SVG = 'http://www.w3.org/2000/svg';
  var byId = function (id) { return document.getElementById(id); };
  if (!byId('principals')) {  // no principal: the page has no table to draw
    document.body.setAttribute('data-rendered', 'true');
    return;
  }
  var D = JSON.parse(byId('report-data').textContent);
  var S = D.strings;
  var F = {};
  D.row.forEach(function (name, i) { F[name] = i; });
  var str = function (i) { return S[i]; };
  var collator = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});

  var clusters = D.clusters.map(function (c) {
    var bindings = new Map(), groups = new Map();
    c[4].forEach(function (b) { bindings.set(b[0], b[1]); });
    c[5].forEach(function (g) { groups.set(g[0], g[1]); });
    return {name: S[c[0]], region: S[c[1]], account: S[c[2]], mode: S[c[3]], label: S[c[1]] + '/' + S[c[0]],
            bindings: bindings, groupBindings: groups};
  });
  var many = clusters.length > 1;
  var rows = D.rows.map(function (r, i) {
    var username = r[F.username];
    return {
      id: i, cluster: r[F.cluster], arn: S[r[F.arn]], principalArn: S[r[F.principalArn]], kind: S[r[F.kind]],
      source: S[r[F.source]], via: S[r[F.via]], level: S[r[F.level]], rank: RANK[S[r[F.level]]] || 0,
      reach: r[F.reach].map(str), namespaces: r[F.namespaces], username: username < 0 ? null : S[username],
      groupIds: r[F.groups], groups: r[F.groups].map(str), policies: r[F.accessPolicies].map(str),
      userBindings: r[F.userBindings], sources: r[F.reachableBy], opaque: r[F.opaquePolicies].map(str), hay: null
    };
  });

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function fmt(n) { return n.toLocaleString('en-US'); }

  // An ARN as a short label next to its cluster's account ("user/alice"); the whole ARN is the title.
  function shortArn(arn, account) {
    var m = /^arn:[^:]*:(?:iam|sts)::(\d{12}|aws):(.*)$/.exec(arn);
    if (!m) { return arn === '*' ? 'anyone (*)' : arn; }
    if (m[2] === 'root') { return 'account ' + m[1]; }
    return m[1] === account ? m[2] : m[1] + ':' + m[2];
  }
  // The level as shown: an access policy whose rules AWS does not publish may grant more (levels.py).
  function levelBadge(row) {
    var box = el('span', 'level');
    if (!row.opaque.length) { box.append(el('span', 'badge level-' + row.level, row.level)); return box; }
    var which = 'opaque ' + (row.opaque.length === 1 ? 'policy ' : 'policies ') + row.opaque.join(', ');
    if (row.rank <= RANK.custom) {
      box.append(el('span', 'badge level-unknown', 'unknown'), ' ', el('span', 'small', '(' + which + ')'));
    } else {
      box.append(el('span', 'badge level-' + row.level, row.level), ' ', el('span', 'small', 'or more (' + which + ')'));
    }
    return box;
  }
  function visibleGroups(row) { return row.groups.filter(function (g) { return g !== IMPLICIT; }); }

  // A list folded to its first items and an "N more" button that shows the rest in place.
  function folded(items, label, shown, lines) {
    var box = el(lines ? 'div' : 'span', lines ? 'list lines' : 'list');
    var limit = shown || SHOWN;
    function draw(all) {
      box.textContent = '';
      var n = all ? items.length : Math.min(limit, items.length);
      for (var i = 0; i < n; i++) {
        if (i && !lines) { box.append(', '); }
        var item = el('span', 'item', label ? label(items[i]) : items[i]);
        if (label) { item.title = items[i]; }
        box.append(item);
      }
      if (!all && items.length > limit) {
        var more = el('button', 'more', fmt(items.length - limit) + ' more');
        more.type = 'button';
        more.addEventListener('click', function () { draw(true); });
        box.append(lines ? '' : ' ', more);
      }
    }
    draw(false);
    return box;
  }

  // ---- filtering, sorting, paging ----
  var state = {text: '', level: '', source: '', ns: '', cluster: '', sort: null, dir: 1, page: 0, size: 100};
  var shown = rows;

  function hay(row) {
    if (row.hay === null) {
      var parts = [row.arn, row.principalArn, row.username || '', row.via, row.kind, row.level,
                   clusters[row.cluster].label].concat(row.groups, row.reach, row.policies, row.opaque);
      row.sources.forEach(function (s) { for (var i = 0; i < s.length; i++) { if (i !== 1 && i !== 2) { parts.push(S[s[i]]); } } });
      row.hay = parts.join('\n').toLowerCase();
    }
    return row.hay;
  }
  function inNamespace(row, ns) {
    for (var i = 0; i < row.namespaces.length; i += 2) {
      var key = S[row.namespaces[i]];
      if (key === '*' || key === ns) { return true; }
      if (key.charAt(key.length - 1) === '*' && ns.indexOf(key.slice(0, -1)) === 0) { return true; }
    }
    return false;
  }
  function matches(row) {
    if (state.level && row.level !== state.level) { return false; }
    if (state.source && row.source !== state.source) { return false; }
    if (state.cluster !== '' && String(row.cluster) !== state.cluster) { return false; }
    if (state.ns && !inNamespace(row, state.ns)) { return false; }
    if (state.text) {
      var text = hay(row), words = state.text.split(/\s+/);
      for (var i = 0; i < words.length; i++) { if (words[i] && text.indexOf(words[i]) < 0) { return false; } }
    }
    return true;
  }
  var KEYS = {
    cluster: function (r) { return clusters[r.cluster].label; },
    principal: function (r) { return r.arn; },
    kind: function (r) { return r.kind; },
    mapping: function (r) { return r.via; },
    level: function (r) { return r.rank; },
    reach: function (r) { return r.reach.indexOf('*') >= 0 ? Infinity : r.reach.length; },
    identity: function (r) { return r.username === null ? '' : r.username; },
    reachable: function (r) { return r.sources.length; }
  };
  function compare(a, b) {
    if (typeof a === 'number') { return a - b; }
    return collator.compare(a, b);
  }
  function refresh(keepPage) {
    shown = rows.filter(matches);
    if (state.sort) {
      var key = KEYS[state.sort], dir = state.dir;
      var decorated = shown.map(function (r) { return [key(r), r]; });
      decorated.sort(function (x, y) { return dir * compare(x[0], y[0]) || x[1].id - y[1].id; });
      shown = decorated.map(function (d) { return d[1]; });
    }
    if (!keepPage) { state.page = 0; }
    draw();
  }

  function cell(row, key) {
    var td = el('td', key);
    var account = clusters[row.cluster].account;
    if (key === 'cluster') { td.textContent = clusters[row.cluster].label; }
    else if (key === 'principal') {
      var button = el('button', 'principal', shortArn(row.arn, account));
      button.type = 'button';
      button.setAttribute('data-id', row.id);
      button.title = row.arn + ' (click: how it gets its access)';
      td.append(button);
      if (row.principalArn !== row.arn) { td.append(el('div', 'small', 'as ' + shortArn(row.principalArn, account))); }
    } else if (key === 'kind') { td.textContent = row.kind; }
    else if (key === 'mapping') { td.textContent = row.via; }
    else if (key === 'level') { td.append(levelBadge(row)); }
    else if (key === 'reach') {
      if (row.reach.indexOf('*') >= 0) { td.textContent = 'all namespaces'; }
      else if (row.reach.length) { td.append(folded(row.reach)); }
      else { td.textContent = '-'; }
    } else if (key === 'identity') {
      if (row.username === null) { td.append(el('span', 'small', 'not mapped')); }
      else {
        td.append(el('code', null, row.username || '""'));
        var groups = visibleGroups(row);
        if (groups.length) { var g = el('div', 'small'); g.append(folded(groups)); td.append(g); }
      }
    } else if (key === 'reachable') {
      if (!row.sources.length) { td.textContent = '-'; }
      else {
        td.append(folded(row.sources.map(function (s) { return S[s[0]]; }),
                         function (arn) { return shortArn(arn, account); }));
      }
    }
    return td;
  }
  var columns = Array.prototype.map.call(document.querySelectorAll('#principals th button.sort'),
                                         function (b) { return b.getAttribute('data-sort'); });
  function draw() {
    var body = byId('principals').tBodies[0];
    var pages = Math.max(1, Math.ceil(shown.length / state.size));
    state.page = Math.min(state.page, pages - 1);
    var start = state.page * state.size, end = Math.min(shown.length, start + state.size);
    var fragment = document.createDocumentFragment();
    for (var i = start; i < end; i++) {
      var row = shown[i], tr = el('tr');
      tr.setAttribute('data-level', row.level);
      for (var c = 0; c < columns.length; c++) { tr.append(cell(row, columns[c])); }
      fragment.append(tr);
    }
    body.replaceChildren(fragment);
    var filtered = shown.length !== rows.length;
    byId('table-status').textContent = shown.length === 0 ? 'No principal matches these filters.' :
      (filtered ? fmt(shown.length) + ' of ' + fmt(rows.length) + ' principals match' : '');
    byId('page-info').textContent = shown.length ?
      'rows ' + fmt(start + 1) + '\u2013' + fmt(end) + ' of ' + fmt(shown.length) : '';
    document.querySelector('nav.pager').hidden = shown.length <= 50;
    document.querySelectorAll('#principals th button.sort').forEach(function (b) {
      var key = b.getAttribute('data-sort');
      if (key === state.sort) { b.setAttribute('data-dir', state.dir > 0 ? 'asc' : 'desc'); }
      else { b.removeAttribute('data-dir'); }
    });
  }

  function sortBy(key, dir) {
    if (dir) { state.dir = dir; }
    else { state.dir = state.sort === key ? -state.dir : 1; }
    state.sort = key;
    refresh(false);
  }

  // ---- one principal's chain ----
  function chain(row) {
    var c = clusters[row.cluster];
    var cols = [[], [], [], [], [], []], index = new Map(), edges = [];
    var heads = ['IAM source', 'role on the way', 'mapped principal', 'Kubernetes user', 'group',
                 'binding / access policy'];
    function node(col, key, label, full, cls) {
      if (!index.has(key)) { index.set(key, {col: col, key: key, label: label, full: full || label, cls: cls || ''});
                             cols[col].push(index.get(key)); }
      return key;
    }
    function edge(a, b) { edges.push([a, b]); }
    var principal = node(2, 'p', shortArn(row.arn, c.account), row.arn, 'principal');
    row.sources.slice(0, GRAPH_SOURCES).forEach(function (s) {
      var path = [node(0, 's' + s[0], shortArn(S[s[0]], c.account) + (s[2] ? ' (conditional)' : ''), S[s[0]])];
      s.slice(3).forEach(function (v) { path.push(node(1, 'r' + v, shortArn(S[v], c.account), S[v])); });
      path.push(principal);
      for (var i = 1; i < path.length; i++) { edge(path[i - 1], path[i]); }
    });
    if (row.sources.length > GRAPH_SOURCES) {
      edge(node(0, 's+', '+' + fmt(row.sources.length - GRAPH_SOURCES) + ' more', null, 'more'), principal);
    }
    if (row.username === null) { return {cols: cols, edges: edges, heads: heads}; }
    var user = node(3, 'u', row.username || '""', null);
    edge(principal, user);
    row.policies.forEach(function (p) { edge(user, node(5, 'a' + p, 'policy ' + p, 'access policy ' + p)); });
    var budget = GRAPH_BINDINGS, hidden = new Set(), behind = new Set();
    function binding(from, id) {
      if (index.has('b' + id)) { edge(from, 'b' + id); return; }
      if (budget <= 0) { hidden.add(id); behind.add(from); return; }
      budget--;
      var role = c.bindings.has(id) ? S[c.bindings.get(id)] : '?';
      edge(from, node(5, 'b' + id, S[id] + ' \u2192 ' + role, null));
    }
    row.userBindings.forEach(function (id) { binding(user, id); });
    row.groupIds.forEach(function (g) {
      if (S[g] === IMPLICIT) { return; }
      var group = node(4, 'g' + g, S[g], null);
      edge(user, group);
      (c.groupBindings.get(g) || []).forEach(function (id) { binding(group, id); });
    });
    if (hidden.size) {
      var more = node(5, 'b+', '+' + fmt(hidden.size) + ' more bindings', null, 'more');
      behind.forEach(function (from) { edge(from, more); });
    }
    return {cols: cols, edges: edges, heads: heads};
  }

  function svgNode(tag, attrs, text) {
    var n = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  // Widths grown into the room there is, or shrunk to it: the widest give first, none below ``least``.
  function fitted(widths, room, least) {
    var total = widths.reduce(function (a, b) { return a + b; }, 0);
    if (total <= room) { return widths.map(function (w) { return w + Math.floor((room - total) / widths.length); }); }
    var fixed = widths.map(function () { return false; });
    for (var round = 0; round < widths.length; round++) {
      var free = 0, left = room;
      widths.forEach(function (w, i) { if (fixed[i]) { left -= least; } else { free += w; } });
      var scale = Math.max(0, left) / (free || 1), again = false;
      widths.forEach(function (w, i) { if (!fixed[i] && w * scale < least) { fixed[i] = again = true; } });
      if (!again) { return widths.map(function (w, i) { return fixed[i] ? least : Math.floor(w * scale); }); }
    }
    return widths.map(function () { return least; });
  }

  // Columns as wide as their longest label (within bounds), spread over the width there is; a label that
  // still does not fit keeps its start and its end.
  function drawGraph(graph, box) {
    var CHAR = 6.7, GAP = 34, MIN = 110, rowH = 26, top = 30, used = [];
    graph.cols.forEach(function (nodes, i) { if (nodes.length) { used.push(i); } });
    var widths = used.map(function (i) {
      var longest = Math.max.apply(null, graph.cols[i].map(function (n) { return n.label.length; }));
      return Math.min(360, Math.max(MIN, Math.ceil(longest * CHAR + 12)));
    });
    widths = fitted(widths, (box.clientWidth || 900) - 8 - GAP * (used.length - 1), MIN);
    var lefts = [], x = 4;
    widths.forEach(function (w) { lefts.push(x); x += w + GAP; });
    var tallest = Math.max.apply(null, used.map(function (i) { return graph.cols[i].length; }));
    var width = x - GAP + 4, height = top + tallest * rowH + 6;
    var svg = svgNode('svg', {width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img'});
    svg.append(svgNode('title', {}, 'access chain'));
    var at = new Map(), nodes = [];
    used.forEach(function (col, k) {
      var list = graph.cols[col], offset = (tallest - list.length) * rowH / 2, left = lefts[k], w = widths[k];
      var chars = Math.max(8, Math.floor((w - 10) / CHAR));
      nodes.push(svgNode('text', {x: left, y: 16, 'class': 'head'}, graph.heads[col]));
      list.forEach(function (n, y) {
        var ypos = top + offset + y * rowH, label = n.label;
        at.set(n.key, [left, ypos, w]);
        if (label.length > chars) {
          var head = Math.floor((chars - 1) / 2);
          label = label.slice(0, head) + '\u2026' + label.slice(label.length - (chars - 1 - head));
        }
        var g = svgNode('g', {'class': 'node ' + n.cls, 'data-key': n.key});
        g.append(svgNode('title', {}, n.full));
        g.append(svgNode('rect', {x: left, y: ypos, width: w, height: rowH - 7, rx: 3}));
        g.append(svgNode('text', {x: left + 5, y: ypos + 13}, label));
        nodes.push(g);
      });
    });
    var seen = new Set();
    graph.edges.forEach(function (e) {
      var id = e[0] + '>' + e[1], a = at.get(e[0]), b = at.get(e[1]);
      if (seen.has(id) || !a || !b) { return; }
      seen.add(id);
      var x1 = a[0] + a[2], y1 = a[1] + 9, x2 = b[0], y2 = b[1] + 9, mid = (x1 + x2) / 2;
      svg.append(svgNode('path', {d: 'M' + x1 + ',' + y1 + ' C' + mid + ',' + y1 + ' ' + mid + ',' + y2 + ' ' +
                                     x2 + ',' + y2}));
    });
    nodes.forEach(function (n) { svg.append(n); });
    box.replaceChildren(svg);
  }

  function fact(list, name, value) {
    list.append(el('dt', null, name));
    var dd = el('dd');
    if (typeof value === 'string') { dd.textContent = value; } else { dd.append(value); }
    list.append(dd);
  }
  function describe(row) {
    var c = clusters[row.cluster], list = byId('chain-text');
    list.textContent = '';
    if (row.sources.length) {
      fact(list, 'IAM sources (' + fmt(row.sources.length) + ')', folded(row.sources.map(function (s) {
        return [S[s[0]]].concat(s.slice(3).map(str)).join(' \u2192 ') + (s[2] ? ' (conditional)' : '');
      }), null, 10, true));
    }
    fact(list, 'mapped by', row.via);
    if (row.username !== null) {
      fact(list, 'Kubernetes user', row.username || '""');
      var groups = visibleGroups(row);
      if (groups.length) { fact(list, 'groups', folded(groups, null, 10)); }
    }
    if (row.policies.length) { fact(list, 'access policies', folded(row.policies, null, 10, true)); }
    var ids = row.userBindings.slice();
    row.groupIds.forEach(function (g) { (c.groupBindings.get(g) || []).forEach(function (id) { ids.push(id); }); });
    ids = Array.from(new Set(ids));
    if (ids.length) {
      fact(list, 'bindings (' + fmt(ids.length) + ')', folded(ids.map(function (id) {
        return S[id] + ' \u2192 ' + (c.bindings.has(id) ? S[c.bindings.get(id)] : '?');
      }), null, 10, true));
    }
    var levels = [];
    for (var i = 0; i < row.namespaces.length; i += 2) {
      levels.push(S[row.namespaces[i]] + ': ' + S[row.namespaces[i + 1]]);
    }
    if (levels.length) { fact(list, 'level per namespace', folded(levels, null, 10)); }
  }
  function openChain(id) {
    var row = rows[id], dialog = byId('chain');
    byId('chain-title').textContent = row.arn;
    var facts = byId('chain-facts');
    facts.textContent = '';
    facts.append(levelBadge(row), ' ',
                 row.reach.indexOf('*') >= 0 ? 'in all namespaces' :
                   (row.reach.length ? 'in ' + row.reach.join(', ') : ''),
                 many ? ' \u00b7 cluster ' + clusters[row.cluster].label : '');
    dialog.setAttribute('data-id', id);
    if (!dialog.open) { dialog.showModal(); }
    drawGraph(chain(row), byId('chain-graph'));
    describe(row);
  }

  // ---- wiring ----
  var namespaces = new Set();
  rows.forEach(function (r) { for (var i = 0; i < r.namespaces.length; i += 2) { namespaces.add(r.namespaces[i]); } });
  var options = document.createDocumentFragment();
  Array.from(namespaces).map(str).filter(function (n) { return n !== '*'; }).sort(collator.compare)
    .forEach(function (n) { var o = el('option'); o.value = n; options.append(o); });
  byId('ns-list').append(options);

  var timer = null;
  byId('f-text').addEventListener('input', function (ev) {
    clearTimeout(timer);
    timer = setTimeout(function () { state.text = ev.target.value.trim().toLowerCase(); refresh(false); }, 120);
  });
  [['f-level', 'level'], ['f-source', 'source'], ['f-cluster', 'cluster'], ['f-ns', 'ns']].forEach(function (f) {
    var input = byId(f[0]);
    if (!input) { return; }
    input.addEventListener(input.tagName === 'SELECT' ? 'change' : 'input', function () {
      state[f[1]] = input.value.trim(); refresh(false);
    });
  });
  byId('filters').addEventListener('reset', function () {
    state.text = state.level = state.source = state.ns = state.cluster = '';
    setTimeout(function () { refresh(false); }, 0);
  });
  byId('filters').addEventListener('submit', function (ev) { ev.preventDefault(); });
  byId('page-size').addEventListener('change', function (ev) { state.size = +ev.target.value; refresh(false); });
  document.querySelector('nav.pager').addEventListener('click', function (ev) {
    var button = ev.target.closest('button[data-page]');
    if (!button) { return; }
    var last = Math.max(0, Math.ceil(shown.length / state.size) - 1), to = button.getAttribute('data-page');
    state.page = to === 'first' ? 0 : to === 'last' ? last :
      Math.max(0, Math.min(last, state.page + (to === 'next' ? 1 : -1)));
    draw();
  });
  document.querySelectorAll('#principals th button.sort').forEach(function (b) {
    b.addEventListener('click', function () { sortBy(b.getAttribute('data-sort')); });
  });
  byId('principals').addEventListener('click', function (ev) {
    var button = ev.target.closest('button.principal');
    if (button) { openChain(+button.getAttribute('data-id')); }
  });
  byId('chain-close').addEventListener('click', function () { byId('chain').close(); });
  byId('chain').addEventListener('click', function (ev) { if (ev.target === ev.currentTarget) { ev.currentTarget.close(); } });
  document.querySelectorAll('button.level-filter').forEach(function (b) {
    b.addEventListener('click', function () {
      var select = byId('f-level');
      select.value = b.getAttribute('data-level');
      state.level = select.value;
      refresh(false);
      byId('principals-section').scrollIntoView();
    });
  });

  var wanted = /^#sort=([a-z]+)(?::(asc|desc))?$/.exec(location.hash);
  if (wanted && KEYS[wanted[1]] && columns.indexOf(wanted[1]) >= 0) {
    sortBy(wanted[1], wanted[2] === 'desc' ? -1 : 1);
  } else {
    refresh(false);
  }
  document.body.setAttribute('data-render-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-rendered', 'true');
})();
