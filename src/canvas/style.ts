/** The cytoscape stylesheet: node kinds, routes, run states, validation badges. */

import type { StylesheetJson } from 'cytoscape';

function badge(fill: string, glyph: string): string {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" viewBox="0 0 20 20">` +
    `<circle cx="10" cy="10" r="9" fill="${fill}" stroke="white" stroke-width="2"/>` +
    `<text x="10" y="14.5" font-size="13" font-family="sans-serif" font-weight="bold" ` +
    `text-anchor="middle" fill="white">${glyph}</text></svg>`;
  return 'data:image/svg+xml;utf8,' + encodeURIComponent(svg);
}

export const ERROR_BADGE = badge('#d32f2f', '!');
export const WARNING_BADGE = badge('#f0a000', '?');

export const RUN_COLOURS: Record<string, string> = {
  pending: '#9e9e9e',
  running: '#1e88e5',
  retrying: '#fb8c00',
  succeeded: '#43a047',
  failed: '#e53935',
  interrupted: '#8e24aa',
  skipped: '#bdbdbd'
};

export function stylesheet(warn = '#f0a000'): StylesheetJson {
  const sheet: StylesheetJson = [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: 168,
        height: 52,
        'background-color': '#ffffff',
        'border-width': 1.5,
        'border-color': '#90a4ae',
        'text-wrap': 'wrap',
        'text-max-width': '156px',
        'text-valign': 'center',
        'text-halign': 'center',
        'font-size': 12,
        'font-family': 'system-ui, -apple-system, "Segoe UI", sans-serif',
        color: '#263238',
        'min-zoomed-font-size': 7
      }
    },
    { selector: 'node[label]', style: { label: 'data(label)' } },
    { selector: 'edge[label]', style: { label: 'data(label)' } },
    { selector: 'node[kind = "code"]', style: { 'border-color': '#5c6bc0', 'background-color': '#f3f4ff' } },
    { selector: 'node[kind = "subgraph"]', style: { 'border-style': 'double', 'border-width': 4 } },
    { selector: 'node[kind = "script"]', style: { 'background-color': '#fafafa' } },
    {
      selector: 'node[kind = "sentinel"]',
      style: {
        shape: 'round-rectangle',
        width: 64,
        height: 26,
        'background-color': '#eceff1',
        'border-color': '#b0bec5',
        color: '#546e7a',
        'font-size': 11
      }
    },
    {
      selector: 'node:selected',
      style: { 'border-color': '#1565c0', 'border-width': 3, 'overlay-opacity': 0 }
    },
    {
      selector: 'node.problem-error',
      style: {
        'border-color': '#d32f2f',
        'background-image': ERROR_BADGE,
        'background-width': 18,
        'background-height': 18,
        'background-position-x': '100%',
        'background-position-y': '0%',
        'background-offset-x': 9,
        'background-offset-y': -9,
        'background-clip': 'none',
        'background-image-containment': 'over',
        'bounds-expansion': 12
      }
    },
    {
      selector: 'node.problem-warning',
      style: {
        'background-image': WARNING_BADGE,
        'background-width': 18,
        'background-height': 18,
        'background-position-x': '100%',
        'background-position-y': '0%',
        'background-offset-x': 9,
        'background-offset-y': -9,
        'background-clip': 'none',
        'background-image-containment': 'over',
        'bounds-expansion': 12
      }
    },
    {
      selector: 'edge',
      style: {
        width: 1.6,
        'line-color': '#90a4ae',
        'target-arrow-color': '#90a4ae',
        'target-arrow-shape': 'triangle',
        'curve-style': 'bezier',
        'arrow-scale': 0.9,
        'font-size': 10,
        color: '#37474f',
        'text-background-color': '#ffffff',
        'text-background-opacity': 0.85,
        'text-background-padding': '2px',
        'min-zoomed-font-size': 8
      }
    },
    { selector: 'edge[kind = "route"]', style: { 'line-style': 'dashed', 'line-color': '#7e57c2', 'target-arrow-color': '#7e57c2' } },
    { selector: 'edge[kind = "default"]', style: { 'line-style': 'dotted', 'line-color': '#7e57c2', 'target-arrow-color': '#7e57c2' } },
    { selector: 'edge[kind = "implicit"]', style: { 'line-style': 'dashed', 'line-color': '#cfd8dc' } },
    { selector: 'edge:selected', style: { 'line-color': '#1565c0', 'target-arrow-color': '#1565c0', width: 3 } },
    {
      selector: '.oc-handle',
      style: {
        shape: 'ellipse',
        width: 14,
        height: 14,
        'background-color': '#1565c0',
        'border-width': 2,
        'border-color': '#ffffff',
        label: '',
        'overlay-opacity': 0,
        'background-image': 'none',
        'bounds-expansion': 0
      }
    },
    { selector: '.eh-preview, .eh-ghost-edge', style: { 'line-color': '#1565c0', 'target-arrow-color': '#1565c0', 'line-style': 'dashed' } },
    { selector: '.eh-ghost-edge.eh-preview-active', style: { opacity: 0 } },
    { selector: '.eh-ghost-node', style: { opacity: 0, width: 1, height: 1, label: '' } }
  ];
  for (const [state, colour] of Object.entries(RUN_COLOURS)) {
    sheet.push({
      selector: `node.run-${state}`,
      style: { 'border-color': colour, 'border-width': 4, 'background-color': tint(colour) }
    });
  }
  // A node that ran but warned (e.g. an unresolved template) is amber, not green.
  sheet.push({ selector: 'node.run-warning', style: { 'border-color': warn, 'border-style': 'double', 'border-width': 6 } });
  return sheet;
}

function tint(hex: string): string {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c: number): number => Math.round(c + (255 - c) * 0.85);
  const r = mix((n >> 16) & 255);
  const g = mix((n >> 8) & 255);
  const b = mix(n & 255);
  return `rgb(${r},${g},${b})`;
}
