// The federation map page: follows /api/stream (server-sent events, each the whole graph), draws
// it with Cytoscape.js and lists the same figures in two tables; clicking a server (in the graph
// or a table) opens its conditions and recent Kubernetes Events. Text from the cluster is only
// ever set as textContent.
import cytoscape from '/vendor/cytoscape.esm.min.mjs';

const DETAILS_REFRESH_MS = 10_000;
const BUSY_MS = 1_500;

const $ = (selector) => document.querySelector(selector);

const rate = (value) => (value === null || value === undefined ? '–' : value < 10 ? value.toFixed(1) : Math.round(value).toString());
const count = (value) => (value === undefined ? '–' : Math.round(value).toString());

function via(edge) {
  return edge.links.map((link) => (link.kind === 'peer' ? 'peer' : `route ${link.route}`)).join(' + ');
}

function nodeLabel(node) {
  if (node.kind === 'url') return node.id.slice('url:'.length);
  if (node.kind === 'missing') return `${node.id}\n(no such McpServer)`;
  const ready = node.ready === 'True' ? 'Ready' : `not ready (${node.readyReason ?? node.ready})`;
  const lines = [node.id, `${ready} · ${node.replicas.ready}/${node.replicas.total} · ${node.bus}`];
  const f = node.figures;
  if (f)
    lines.push(
      `${rate(f.eventsPerSecond)} ev/s · q ${count(f.queueDepth)} · DL ${count(f.deadLetters)}${f.openCircuits ? ` · ⚠ ${f.openCircuits}` : ''}`,
    );
  else if (node.scrape) lines.push(`metrics: ${node.scrape.detail ?? node.scrape.state}`);
  return lines.join('\n');
}

function edgeLabel(edge) {
  if (!edge.resolved) return `${via(edge)}: unresolved`;
  const f = edge.figures;
  return f ? `${via(edge)}\n${rate(f.eventsPerSecond)} ev/s · q ${count(f.queueDepth)}${f.circuit === 'closed' ? '' : ` · ${f.circuit}`}` : via(edge);
}

const cy = cytoscape({
  container: $('#graph'),
  minZoom: 0.3,
  maxZoom: 3,
  style: [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: 220,
        height: 62,
        'background-color': '#f4f6f8',
        'border-width': 2,
        'border-color': '#8a94a0',
        label: 'data(label)',
        'text-wrap': 'wrap',
        'text-max-width': 210,
        'text-valign': 'center',
        'font-size': 11,
        color: '#1d2733',
      },
    },
    { selector: 'node[ready = "True"]', style: { 'border-color': '#2e8540' } },
    { selector: 'node[ready = "False"]', style: { 'border-color': '#b8700b' } },
    { selector: 'node[kind = "missing"]', style: { 'border-color': '#c0392b', 'border-style': 'dashed', 'background-color': '#fdf0ef' } },
    { selector: 'node[kind = "url"]', style: { shape: 'rectangle', 'border-style': 'dotted', height: 36 } },
    { selector: 'node.busy', style: { 'background-color': '#dff3e3' } },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#2563eb' } },
    {
      selector: 'edge',
      style: {
        'curve-style': 'bezier',
        'control-point-step-size': 70,
        'target-arrow-shape': 'triangle',
        width: 2.5,
        'line-color': '#2e8540',
        'target-arrow-color': '#2e8540',
        label: 'data(label)',
        'font-size': 10,
        'text-wrap': 'wrap',
        'text-rotation': 'autorotate',
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.85,
        'text-background-padding': 2,
      },
    },
    { selector: 'edge.flowing', style: { 'line-style': 'dashed', 'line-dash-pattern': [9, 5] } },
    { selector: 'edge[circuit = "half_open"]', style: { 'line-color': '#b8700b', 'target-arrow-color': '#b8700b' } },
    { selector: 'edge[circuit = "open"]', style: { 'line-color': '#c0392b', 'target-arrow-color': '#c0392b', width: 4 } },
    { selector: 'edge[state = "unresolved"]', style: { 'line-color': '#c0392b', 'target-arrow-color': '#c0392b', 'line-style': 'dotted' } },
  ],
});

/** For people poking at the page (and the browser tests): the graph as drawn and as last received. */
const state = { cy, graph: undefined, selected: undefined };
window.federationMap = state;

// Marching dashes along the edges that delivered since the previous update.
let offset = 0;
function march() {
  offset = (offset + 0.6) % 1000;
  cy.edges('.flowing').style('line-dash-offset', -offset);
  requestAnimationFrame(march);
}
requestAnimationFrame(march);

function syncGraph(graph, previous) {
  const before = new Map((previous?.nodes ?? []).map((n) => [n.id, n]));
  const edgesBefore = new Map((previous?.edges ?? []).map((e) => [e.id, e]));
  const wanted = new Set();
  let structureChanged = false;
  cy.batch(() => {
    for (const node of graph.nodes) {
      wanted.add(node.id);
      const data = { id: node.id, kind: node.kind, ready: node.ready ?? 'Unknown', label: nodeLabel(node) };
      const existing = cy.getElementById(node.id);
      if (existing.nonempty()) existing.data(data);
      else {
        cy.add({ group: 'nodes', data });
        structureChanged = true;
      }
      const was = before.get(node.id);
      if (was?.figures && node.figures && node.figures.accepted > was.figures.accepted) {
        const element = cy.getElementById(node.id).addClass('busy');
        setTimeout(() => element.removeClass('busy'), BUSY_MS);
      }
    }
    for (const edge of graph.edges) {
      wanted.add(edge.id);
      const data = {
        id: edge.id,
        source: edge.source,
        target: edge.target,
        state: edge.resolved ? 'resolved' : 'unresolved',
        circuit: edge.figures?.circuit ?? 'closed',
        label: edgeLabel(edge),
      };
      const existing = cy.getElementById(edge.id);
      if (existing.nonempty()) existing.data(data);
      else {
        cy.add({ group: 'edges', data });
        structureChanged = true;
      }
      const was = edgesBefore.get(edge.id);
      const moving = Boolean(edge.figures && ((was?.figures && edge.figures.delivered > was.figures.delivered) || edge.figures.eventsPerSecond > 0));
      cy.getElementById(edge.id).toggleClass('flowing', moving);
    }
    cy.elements()
      .filter((element) => !wanted.has(element.id()))
      .forEach((element) => {
        element.remove();
        structureChanged = true;
      });
  });
  if (structureChanged) {
    // A ring: every server may peer with every other, so no one is drawn above the rest.
    cy.layout({ name: 'circle', animate: false, fit: true, padding: 60, avoidOverlap: true, spacingFactor: 1.6, startAngle: Math.PI }).run();
    if (cy.zoom() > 1.2) {
      cy.zoom(1.2);
      cy.center();
    }
  }
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

/** Replaces the rows of a table body with one row per item, each filled by `fill(row, item)`. */
function fillRows(selector, items, fill) {
  const rows = items.map((item) => {
    const row = document.createElement('tr');
    fill(row, item);
    return row;
  });
  $(selector).replaceChildren(...rows);
}

function renderServers(graph) {
  fillRows(
    '#servers tbody',
    graph.nodes.filter((n) => n.kind === 'server'),
    (row, node) => {
      row.dataset.id = node.id;
      const f = node.figures;
      cell(row, node.id, 'name');
      cell(row, node.ready, `ready ${node.ready}`);
      cell(row, `${node.replicas.ready}/${node.replicas.total}`, 'num replicas');
      cell(row, node.bus, 'bus');
      cell(row, rate(f?.eventsPerSecond), 'num rate');
      cell(row, count(f?.accepted), 'num accepted');
      cell(row, count(f?.errors), 'num errors');
      cell(row, count(f?.queueDepth), 'num queue');
      cell(row, count(f?.openCircuits), 'num circuits');
      cell(row, count(f?.deadLetters), 'num dead-letters');
      cell(row, node.scrape ? (node.scrape.detail ? `${node.scrape.state}: ${node.scrape.detail}` : node.scrape.state) : 'not read yet', 'scrape');
      row.addEventListener('click', () => openDetails(node.id));
    },
  );
}

function renderLinks(graph) {
  fillRows('#links tbody', graph.edges, (row, edge) => {
    row.dataset.id = edge.id;
    row.dataset.state = edge.resolved ? 'resolved' : 'unresolved';
    const f = edge.figures;
    cell(row, edge.source, 'source');
    cell(row, edge.target.replace(/^url:/, ''), 'target');
    cell(row, via(edge), 'via');
    const reasons = [...new Set(edge.links.filter((l) => !l.resolved).map((l) => l.reason))];
    cell(row, edge.resolved ? 'resolved' : `unresolved: ${reasons.join('; ')}`, `state ${edge.resolved ? 'resolved' : 'unresolved'}`);
    cell(row, rate(f?.eventsPerSecond), 'num rate');
    cell(row, count(f?.delivered), 'num delivered');
    cell(row, rate(f?.errorsPerSecond), 'num errors');
    cell(row, count(f?.queueDepth), 'num queue');
    cell(row, f?.circuit ?? '–', `circuit ${f?.circuit ?? ''}`);
    cell(row, count(f?.deadLetters), 'num dead-letters');
    if (state.graph?.nodes.some((n) => n.id === edge.source && n.kind === 'server')) row.addEventListener('click', () => openDetails(edge.source));
  });
}

// ---- one server's details -------------------------------------------------------------------

let detailsTimer;

async function loadDetails(id) {
  const [namespace, name] = id.split('/');
  const response = await fetch(`/api/servers/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`);
  if (state.selected !== id) return;
  if (!response.ok) {
    $('#details-error').hidden = false;
    $('#details-error').textContent = `${response.status}: ${(await response.json().catch(() => ({}))).error ?? response.statusText}`;
    return;
  }
  const details = await response.json();
  if (state.selected !== id) return;
  $('#details-error').hidden = true;
  $('#details-summary').textContent =
    `${details.readyReplicas}/${details.replicas} replicas ready · ${details.attachedRoutes} route(s) attached · ` +
    `${details.peers.length} peer(s) · generation ${details.generation}, observed ${details.observedGeneration ?? '–'}` +
    (details.endpoint ? ` · ${details.endpoint}` : '');
  fillRows('#details-conditions tbody', details.conditions, (row, c) => {
    row.dataset.type = c.type;
    cell(row, c.type);
    cell(row, c.status, `status ${c.health}`);
    cell(row, c.reason, 'reason');
    cell(row, c.message, 'message');
    cell(row, new Date(c.lastTransitionTime).toLocaleString());
  });
  $('#details-events-error').hidden = !details.eventsError;
  $('#details-events-error').textContent = details.eventsError ?? '';
  fillRows('#details-events tbody', details.events, (row, e) => {
    row.dataset.reason = e.reason;
    cell(row, e.lastSeen ? new Date(e.lastSeen).toLocaleString() : '–');
    cell(row, e.type, e.type);
    cell(row, e.reason, 'reason');
    cell(row, String(e.count), 'num');
    cell(row, e.reportingController);
    cell(row, e.note, 'note');
  });
}

function openDetails(id) {
  const node = state.graph?.nodes.find((n) => n.id === id);
  if (!node || node.kind !== 'server') return;
  state.selected = id;
  cy.$(':selected').unselect();
  cy.getElementById(id).select();
  $('#details').hidden = false;
  $('#details-title').textContent = id;
  $('#details-summary').textContent = 'loading…';
  clearInterval(detailsTimer);
  const refresh = () =>
    loadDetails(id).catch((error) => {
      $('#details-error').hidden = false;
      $('#details-error').textContent = `could not load: ${error.message}`;
    });
  void refresh();
  detailsTimer = setInterval(refresh, DETAILS_REFRESH_MS);
}

function closeDetails() {
  state.selected = undefined;
  clearInterval(detailsTimer);
  cy.$(':selected').unselect();
  $('#details').hidden = true;
}

$('#details-close').addEventListener('click', closeDetails);
cy.on('tap', 'node', (event) => openDetails(event.target.id()));

// ---- the live feed ----------------------------------------------------------------------------

function receive(graph) {
  const previous = state.graph;
  state.graph = graph;
  syncGraph(graph, previous);
  renderServers(graph);
  renderLinks(graph);
  $('#updated').textContent = `updated ${new Date(graph.at).toLocaleTimeString()}`;
  if (state.selected && !graph.nodes.some((n) => n.id === state.selected && n.kind === 'server')) closeDetails();
}

const feed = new EventSource('/api/stream');
feed.addEventListener('open', () => {
  $('#connection').dataset.state = 'live';
  $('#connection').textContent = 'live';
});
feed.addEventListener('error', () => {
  $('#connection').dataset.state = 'reconnecting';
  $('#connection').textContent = 'reconnecting…';
});
feed.addEventListener('graph', (message) => receive(JSON.parse(message.data)));
