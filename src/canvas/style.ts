/**
 * The cytoscape stylesheet: node cards, routes, run states, selection, the
 * connection handle. Every colour comes from the theme (theme.ts), so the canvas
 * follows JupyterLab's light and dark themes; a card's stripe, icon, ports and
 * problem badge are one SVG per node (cards.ts), referenced as ``data(card)``.
 */

import type { StylesheetJson } from 'cytoscape';
import { mix, Theme } from './theme';

/** Run states that colour a node (the class is ``run-<state>``). */
export const RUN_STATES = [
  'pending',
  'running',
  'retrying',
  'succeeded',
  'failed',
  'interrupted',
  'skipped',
  'carried'
] as const;

export function runColour(theme: Theme, state: string): string {
  switch (state) {
    case 'running':
      return theme.running;
    case 'retrying':
      return theme.warn;
    case 'succeeded':
      return theme.success;
    case 'failed':
      return theme.error;
    case 'interrupted':
      return theme.interrupted;
    default:
      return theme.skipped;
  }
}

/** Card size (model units); the card image is drawn a few pixels larger for the ports. */
export const CARD = { width: 184, height: 56, pad: 6 };

export function stylesheet(theme: Theme): StylesheetJson {
  const sheet: StylesheetJson = [
    {
      selector: 'node',
      style: {
        shape: 'round-rectangle',
        width: CARD.width,
        height: CARD.height,
        'background-color': theme.card,
        'border-width': 1.5,
        'border-color': theme.cardBorder,
        'text-wrap': 'wrap',
        'text-max-width': `${CARD.width - 58}px`,
        // Left-aligned after the icon: the label starts at the card's right edge and is
        // pulled back in, so every card's text begins at the same place.
        'text-valign': 'center',
        'text-halign': 'right',
        'text-justification': 'left',
        'text-margin-x': -(CARD.width - 56),
        'line-height': 1.35,
        'font-size': 12,
        'font-family': theme.fontFamily,
        color: theme.fg,
        'min-zoomed-font-size': 7
      }
    },
    { selector: 'node[label]', style: { label: 'data(label)' } },
    { selector: 'edge[label]', style: { label: 'data(label)' } },
    {
      selector: 'node[card]',
      style: {
        'background-image': 'data(card)',
        'background-width': CARD.width + 2 * CARD.pad,
        'background-height': CARD.height + 2 * CARD.pad,
        'background-position-x': '50%',
        'background-position-y': '50%',
        'background-clip': 'none',
        'background-image-containment': 'over',
        'bounds-expansion': CARD.pad,
        // The image is the card's decoration: keep it above run tints.
        'background-image-opacity': 1
      }
    },
    { selector: 'node[category]', style: { 'border-color': 'data(accent)' } },
    { selector: 'node[kind = "subgraph"]', style: { 'border-style': 'double', 'border-width': 4 } },
    {
      selector: 'node[kind = "sentinel"]',
      style: {
        shape: 'round-rectangle',
        width: 76,
        height: 28,
        'background-color': theme.sentinel,
        'border-color': theme.cardBorder,
        color: theme.muted,
        'font-size': 11,
        'text-halign': 'center',
        'text-margin-x': 0,
        'text-justification': 'center',
        'text-max-width': '70px'
      }
    },
    {
      selector: 'node:selected',
      style: {
        'border-color': theme.accent,
        'border-width': 3,
        'overlay-opacity': 0,
        'underlay-color': theme.accent,
        'underlay-opacity': 0.18,
        'underlay-padding': 5,
        'underlay-shape': 'round-rectangle'
      }
    },
    { selector: 'node.problem-error', style: { 'border-color': theme.error, 'border-width': 2 } },
    {
      selector: 'edge',
      style: {
        width: 1.6,
        'line-color': theme.edge,
        'target-arrow-color': theme.edge,
        'target-arrow-shape': 'triangle',
        'curve-style': 'bezier',
        'arrow-scale': 0.9,
        'font-size': 10,
        color: theme.fg,
        'text-background-color': theme.bg,
        'text-background-opacity': 0.9,
        'text-background-padding': '2px',
        'min-zoomed-font-size': 8
      }
    },
    {
      selector: 'edge[kind = "route"]',
      style: { 'line-style': 'dashed', 'line-color': theme.route, 'target-arrow-color': theme.route }
    },
    {
      selector: 'edge[kind = "default"]',
      style: { 'line-style': 'dotted', 'line-color': theme.route, 'target-arrow-color': theme.route }
    },
    {
      selector: 'edge[kind = "implicit"]',
      style: {
        'line-style': 'dashed',
        'line-color': mix(theme.edge, theme.bg, 0.55),
        'target-arrow-color': mix(theme.edge, theme.bg, 0.55)
      }
    },
    { selector: 'edge:selected', style: { 'line-color': theme.accent, 'target-arrow-color': theme.accent, width: 3 } },
    {
      selector: '.oc-handle',
      style: {
        shape: 'ellipse',
        width: 14,
        height: 14,
        'background-color': theme.accent,
        'border-width': 2,
        'border-color': theme.card,
        label: '',
        'overlay-opacity': 0,
        'background-image': 'none',
        'bounds-expansion': 0,
        'underlay-opacity': 0,
        'z-index': 20
      }
    },
    {
      selector: '.eh-preview, .eh-ghost-edge',
      style: { 'line-color': theme.accent, 'target-arrow-color': theme.accent, 'line-style': 'dashed' }
    },
    { selector: '.eh-ghost-edge.eh-preview-active', style: { opacity: 0 } },
    { selector: '.eh-ghost-node', style: { opacity: 0, width: 1, height: 1, label: '', 'background-image': 'none' } }
  ];
  for (const state of RUN_STATES) {
    const colour = runColour(theme, state);
    sheet.push({
      selector: `node.run-${state}`,
      style: {
        'border-color': colour,
        'border-width': 4,
        'background-color': mix(colour, theme.card, theme.dark ? 0.28 : 0.15)
      }
    });
  }
  // The connections a run went along are drawn solid in the success colour; those a finished
  // run never took fade with the nodes they lead to.
  sheet.push({
    selector: 'edge.run-taken:unselected',
    style: { 'line-style': 'solid', 'line-color': theme.success, 'target-arrow-color': theme.success, width: 2.5 }
  });
  sheet.push({ selector: 'edge.run-untaken', style: { opacity: 0.4 } });
  // A node a finished run never reached: faded and dashed, neither a success nor a fault.
  sheet.push({
    selector: 'node.run-unreached',
    style: { opacity: 0.55, 'border-style': 'dashed', 'border-color': theme.skipped, 'border-width': 2 }
  });
  // A fork's node whose result came from the run it was forked from: reached, but not run here.
  sheet.push({
    selector: 'node.run-carried',
    style: { 'border-style': 'dotted', 'border-width': 3, 'background-color': theme.card }
  });
  // A node that ran but warned (e.g. an unresolved template) is amber, not green.
  sheet.push({
    selector: 'node.run-warning',
    style: { 'border-color': theme.warn, 'border-style': 'double', 'border-width': 6 }
  });
  return sheet;
}
