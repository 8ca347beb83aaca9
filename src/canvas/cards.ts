/**
 * Node cards: each workflow node is drawn as a card with its category's colour
 * (a stripe and the border), the SVG icon of its type, its input and output
 * ports, and a problem badge. The decoration is one SVG image per distinct look,
 * cached, so a thousand nodes of a few types share a handful of images.
 */

import type cytoscape from 'cytoscape';
import { CARD } from './style';
import { iconPaths, resolveIcon } from './icons';
import { Theme } from './theme';
import { CatalogEntry, END, START } from './types';

export interface CardLook {
  /** Category colour: stripe, icon, ports. */
  colour: string;
  icon: string;
  problem: 'error' | 'warning' | null;
  /** Ports to draw: a trigger has no input, the end has no output. */
  input: boolean;
  output: boolean;
}

function badge(theme: Theme, kind: 'error' | 'warning', cx: number, cy: number): string {
  const fill = kind === 'error' ? theme.error : theme.warn;
  // Drawn as shapes, not text: no font is needed for "!".
  return (
    `<circle cx="${cx}" cy="${cy}" r="8" fill="${fill}" stroke="${theme.card}" stroke-width="2"/>` +
    `<rect x="${cx - 1.2}" y="${cy - 4.5}" width="2.4" height="5.6" rx="1" fill="#fff"/>` +
    `<circle cx="${cx}" cy="${cy + 3.3}" r="1.3" fill="#fff"/>`
  );
}

/** The card decoration as an SVG document (sized CARD + padding on every side). */
export function cardSvg(theme: Theme, look: CardLook): string {
  const { width: w, height: ht, pad: p } = CARD;
  const W = w + 2 * p;
  const H = ht + 2 * p;
  const c = look.colour;
  const parts: string[] = [];
  // The stripe along the card's left edge, inside its rounded corner.
  parts.push(`<path d="M${p + 1.5} ${p + 8} a7 7 0 0 1 7 -7 h1.5 v${ht - 2} h-1.5 a7 7 0 0 1 -7 -7 z" fill="${c}"/>`);
  // The icon on a tinted tile.
  const tile = 30;
  const tx = p + 16;
  const ty = p + (ht - tile) / 2;
  parts.push(
    `<rect x="${tx}" y="${ty}" width="${tile}" height="${tile}" rx="7" fill="${c}" fill-opacity="${theme.dark ? 0.3 : 0.14}"/>`
  );
  parts.push(
    `<g transform="translate(${tx + 6} ${ty + 6}) scale(0.75)" fill="none" stroke="${c}" stroke-width="2.2" ` +
      `stroke-linecap="round" stroke-linejoin="round">${iconPaths(look.icon)}</g>`
  );
  // Ports: where edges come in (top) and leave (bottom).
  const port = (y: number): string =>
    `<circle cx="${W / 2}" cy="${y}" r="4.5" fill="${theme.card}" stroke="${c}" stroke-width="2"/>`;
  if (look.input) parts.push(port(p));
  if (look.output) parts.push(port(p + ht));
  if (look.problem) parts.push(badge(theme, look.problem, W - p - 12, p + 12));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg>`;
}

/** Turns node data into card images for one theme; images are cached per look. */
export class CardPainter {
  private cache = new Map<string, string>();

  constructor(
    private theme: Theme,
    private catalog: Map<string, CatalogEntry>
  ) {}

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.cache.clear();
  }

  setCatalog(catalog: Map<string, CatalogEntry>): void {
    this.catalog = catalog;
  }

  /** Category of a node as drawn (kind and type from its element data). */
  category(kind: string, type: string): string {
    if (kind === 'code') return 'code';
    if (kind === 'subgraph') return 'flow';
    if (kind === 'script') return 'code';
    return this.catalog.get(type)?.category ?? 'utility';
  }

  colour(category: string): string {
    return this.theme.categories[category] ?? this.theme.categories.utility ?? this.theme.muted;
  }

  look(kind: string, type: string, problem: CardLook['problem']): CardLook {
    const category = this.category(kind, type);
    const entry = kind === 'builtin' ? this.catalog.get(type) : undefined;
    const icon = kind === 'code' ? 'code' : kind === 'subgraph' ? 'workflow' : resolveIcon(entry?.icon, category);
    return { colour: this.colour(category), icon, problem, input: !entry?.trigger, output: true };
  }

  image(look: CardLook): string {
    const key = `${look.colour}|${look.icon}|${look.problem}|${look.input}|${look.output}`;
    let url = this.cache.get(key);
    if (!url) {
      url = 'data:image/svg+xml;utf8,' + encodeURIComponent(cardSvg(this.theme, look));
      this.cache.set(key, url);
    }
    return url;
  }

  /** Give every workflow node its card (only data that changed is written). */
  paint(cy: cytoscape.Core, problems: Map<string, 'error' | 'warning'>): void {
    cy.batch(() => {
      cy.nodes().forEach(n => {
        const id = n.id();
        const kind = n.data('kind') as string | undefined;
        if (!kind || kind === 'sentinel' || id === START || id === END) return;
        const type = (n.data('type') as string) ?? '';
        const look = this.look(kind, type, problems.get(id) ?? null);
        const card = this.image(look);
        const category = this.category(kind, type);
        if (n.data('card') !== card) n.data('card', card);
        if (n.data('category') !== category) n.data('category', category);
        if (n.data('accent') !== look.colour) n.data('accent', look.colour);
      });
    });
  }
}
