/**
 * The canvas's icons as SVG: one per catalog icon name (the catalog uses lucide
 * names), one per node category and one per toolbar action. Drawn here (24×24,
 * stroked with ``currentColor``) so they render without any icon font or emoji
 * font: a glyph the system cannot draw shows as an empty box. The Lab extension
 * registers the same strings as LabIcons; the notebook widget inlines them.
 */

/** Inner SVG markup (paths only) of each icon, in a 24×24 box. */
const PATHS: Record<string, string> = {
  // --- node icons (lucide names used by the catalog) ---
  bot: '<rect x="4" y="8" width="16" height="12" rx="2"/><path d="M12 8V4M9 4h6"/><circle cx="9" cy="14" r="1.2"/><circle cx="15" cy="14" r="1.2"/><path d="M2 13v3M22 13v3"/>',
  'message-square': '<path d="M4 4h16v12H9l-5 4z"/>',
  'message-circle': '<path d="M20 12a8 8 0 0 1-11.8 7L4 20l1-4.2A8 8 0 1 1 20 12z"/>',
  mail: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>',
  shuffle: '<path d="M3 6h4l10 12h4M3 18h4l3-3.6M14 9.6L17 6h4M18 3l3 3-3 3M18 15l3 3-3 3"/>',
  filter: '<path d="M3 4h18l-7 8v7l-4 2v-9z"/>',
  braces:
    '<path d="M8 3H7a2 2 0 0 0-2 2v4l-2 3 2 3v4a2 2 0 0 0 2 2h1M16 3h1a2 2 0 0 1 2 2v4l2 3-2 3v4a2 2 0 0 1-2 2h-1"/>',
  'shield-check': '<path d="M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z"/><path d="M8.5 12l2.5 2.5 4.5-5"/>',
  variable: '<path d="M7 4c-3 3-3 13 0 16M17 4c3 3 3 13 0 16M9 9l6 6M15 9l-6 6"/>',
  'arrow-down-up': '<path d="M7 4v16M3 16l4 4 4-4M17 20V4M13 8l4-4 4 4"/>',
  'arrow-up-down': '<path d="M7 20V4M3 8l4-4 4 4M17 4v16M13 16l4 4 4-4"/>',
  'file-text': '<path d="M14 3H6v18h12V7z"/><path d="M14 3v4h4M9 12h6M9 16h6"/>',
  type: '<path d="M5 6V4h14v2M12 4v16M9 20h6"/>',
  'check-check': '<path d="M2 12l4 4 8-9M10 15l1.5 1.5L22 6"/>',
  percent: '<path d="M19 5L5 19"/><circle cx="7" cy="7" r="2.5"/><circle cx="17" cy="17" r="2.5"/>',
  table: '<rect x="3" y="4" width="18" height="16" rx="1"/><path d="M3 10h18M3 15h18M10 4v16"/>',
  gavel: '<path d="M13 5l6 6M10 8l6 6M11.5 6.5l5 5-3 3-5-5zM10 11l-7 7 2 2 7-7M14 21h7"/>',
  'list-checks': '<path d="M3 6l1.5 1.5L7 5M3 13l1.5 1.5L7 12M11 6h10M11 13h10M11 19h10M3 19h4"/>',
  workflow:
    '<rect x="3" y="3" width="7" height="7" rx="1"/><rect x="14" y="14" width="7" height="7" rx="1"/><path d="M6.5 10v4a3 3 0 0 0 3 3H14"/>',
  globe: '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18"/>',
  'user-round-pen': '<circle cx="10" cy="8" r="4"/><path d="M3 21a7 7 0 0 1 10-6.3M15 21l1-3 4-4 2 2-4 4z"/>',
  'octagon-x': '<path d="M8 3h8l5 5v8l-5 5H8l-5-5V8z"/><path d="M9 9l6 6M15 9l-6 6"/>',
  layers: '<path d="M12 3l9 5-9 5-9-5z"/><path d="M3 13l9 5 9-5"/>',
  'list-ordered': '<path d="M10 6h11M10 12h11M10 18h11M4 4v4M3 8h2M3 14.5a1.5 1.5 0 0 1 3 0L3 18h3"/>',
  'git-branch':
    '<circle cx="6" cy="5" r="2"/><circle cx="6" cy="19" r="2"/><circle cx="18" cy="7" r="2"/><path d="M6 7v10M18 9c0 5-6 4-11 8"/>',
  merge: '<circle cx="6" cy="5" r="2"/><circle cx="18" cy="5" r="2"/><path d="M6 7c0 5 6 5 6 10v4M18 7c0 5-6 5-6 10"/>',
  split: '<path d="M12 21v-7L5 7M12 14l7-7M3 4v5h5M21 4v5h-5"/>',
  repeat: '<path d="M4 11V9a3 3 0 0 1 3-3h12M16 3l3 3-3 3M20 13v2a3 3 0 0 1-3 3H5M8 21l-3-3 3-3"/>',
  hash: '<path d="M4 9h16M4 15h16M10 3L8 21M16 3l-2 18"/>',
  scissors: '<circle cx="6" cy="6" r="3"/><circle cx="6" cy="18" r="3"/><path d="M8.5 8L20 19M8.5 16L20 5"/>',
  shrink: '<path d="M4 14h6v6M20 10h-6V4M14 10l7-7M3 21l7-7"/>',
  search: '<circle cx="11" cy="11" r="7"/><path d="M16 16l5 5"/>',
  'folder-open': '<path d="M3 19V5h6l2 2h8v3"/><path d="M3 19l3-8h16l-3 8z"/>',
  quote: '<path d="M4 17c3 0 5-2 5-6V6H4v5h5M15 17c3 0 5-2 5-6V6h-5v5h5"/>',
  tags: '<path d="M3 4v7l9 9 7-7-9-9z"/><circle cx="7.5" cy="8.5" r="1.3"/>',
  pencil: '<path d="M4 20l1-4L16 5l3 3L8 19zM14 7l3 3"/>',
  list: '<path d="M9 6h12M9 12h12M9 18h12"/><circle cx="4.5" cy="6" r="1"/><circle cx="4.5" cy="12" r="1"/><circle cx="4.5" cy="18" r="1"/>',
  database:
    '<ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>',
  clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
  radar: '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="5"/><path d="M12 12l6-6"/>',
  hand: '<path d="M8 13V5a1.5 1.5 0 0 1 3 0v6M11 11V4a1.5 1.5 0 0 1 3 0v7M14 11V6a1.5 1.5 0 0 1 3 0v8c0 4-3 7-6.5 7S5 19 4 16l-1.5-4a1.5 1.5 0 0 1 2.7-1.2L8 14"/>',
  webhook:
    '<circle cx="6" cy="17" r="2.5"/><circle cx="18" cy="17" r="2.5"/><circle cx="12" cy="6" r="2.5"/><path d="M10.8 8.2L7.3 14.8M8.5 17h7M13.2 8.2l3.5 6.6"/>',
  'calendar-clock':
    '<rect x="3" y="5" width="14" height="14" rx="1"/><path d="M3 9h14M7 3v4M13 3v4"/><circle cx="17" cy="17" r="4.5"/><path d="M17 15v2l1.5 1"/>',
  bug: '<rect x="7" y="7" width="10" height="13" rx="5"/><path d="M9 7a3 3 0 0 1 6 0M3 13h4M17 13h4M4 7l3 2M20 7l-3 2M4 20l3-2M20 20l-3-2M12 10v10"/>',
  timer: '<circle cx="12" cy="13" r="8"/><path d="M12 13V9M9 2h6M12 2v3"/>',
  circle: '<circle cx="12" cy="12" r="8"/>',
  rss: '<path d="M5 11a8 8 0 0 1 8 8M5 5a14 14 0 0 1 14 14"/><circle cx="6" cy="18" r="1.5"/>',
  code: '<path d="M8 7l-5 5 5 5M16 7l5 5-5 5M14 4l-4 16"/>',
  box: '<path d="M12 3l8 4.5v9L12 21l-8-4.5v-9z"/><path d="M4 7.5l8 4.5 8-4.5M12 12v9"/>',
  play: '<path d="M7 4l13 8-13 8z"/>',
  flag: '<path d="M5 21V4M5 4h12l-2 4 2 4H5"/>',

  // --- toolbar actions ---
  undo: '<path d="M9 14L4 9l5-5"/><path d="M4 9h11a5 5 0 0 1 0 10h-4"/>',
  redo: '<path d="M15 14l5-5-5-5"/><path d="M20 9H9a5 5 0 0 0 0 10h4"/>',
  layout:
    '<rect x="9" y="3" width="6" height="5" rx="1"/><rect x="3" y="16" width="6" height="5" rx="1"/><rect x="15" y="16" width="6" height="5" rx="1"/><path d="M12 8v4M6 16v-4h12v4"/>',
  fit: '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/><rect x="8" y="8" width="8" height="8" rx="1"/>',
  trash: '<path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/>',
  save: '<path d="M5 3h11l4 4v14H4V3z"/><path d="M8 3v5h7V3M8 21v-7h8v7"/>',
  timeline:
    '<path d="M3 5h18M3 19h18"/><rect x="4" y="8" width="7" height="3" rx="1"/><rect x="9" y="13" width="10" height="3" rx="1"/>',
  'eye-off':
    '<path d="M3 3l18 18M10.6 6.1A10 10 0 0 1 22 12a13 13 0 0 1-3 3.6M6.6 6.6A13 13 0 0 0 2 12s4 7 10 7a9 9 0 0 0 4.4-1.1"/><path d="M9.9 9.9a3 3 0 0 0 4.2 4.2"/>',
  note: '<path d="M4 4h16v11l-5 5H4z"/><path d="M15 20v-5h5M8 9h8M8 13h5"/>',
  map: '<rect x="3" y="4" width="18" height="16" rx="1"/><rect x="12" y="11" width="7" height="7" rx="1"/><path d="M6 8h4M6 11h3"/>',
  help: '<circle cx="12" cy="12" r="9"/><path d="M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.7.3-1 .9-1 1.7v.5"/><circle cx="12" cy="17" r=".6"/>',
  copy: '<rect x="8" y="8" width="12" height="12" rx="1"/><path d="M16 8V4H4v12h4"/>',
  paste: '<rect x="5" y="4" width="14" height="17" rx="1"/><path d="M9 4V2h6v2M9 10h6M9 14h6"/>',
  duplicate: '<rect x="8" y="8" width="12" height="12" rx="1"/><path d="M16 8V4H4v12h4M14 11v6M11 14h6"/>',
  link: '<path d="M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"/>',
  close: '<path d="M6 6l12 12M18 6L6 18"/>',
  pin: '<path d="M9 3h6l-1 6 3 3v2H7v-2l3-3zM12 14v7"/>',
  pause: '<rect x="6" y="5" width="4" height="14" rx="1"/><rect x="14" y="5" width="4" height="14" rx="1"/>',
  'pause-after':
    '<rect x="3" y="5" width="3.5" height="14" rx="1"/><rect x="9" y="5" width="3.5" height="14" rx="1"/><path d="M15 6l6 6-6 6"/>',
  check: '<path d="M4 12l5 5L20 6"/>',
  'x-mark': '<path d="M6 6l12 12M18 6L6 18"/>',
  'chevron-right': '<path d="M9 5l7 7-7 7"/>',
  'chevron-down': '<path d="M5 9l7 7 7-7"/>',
  dot: '<circle cx="12" cy="12" r="5" fill="currentColor"/>',
  ring: '<circle cx="12" cy="12" r="5"/>',
  history: '<path d="M3 12a9 9 0 1 0 3-6.7L3 8M3 3v5h5M12 7v5l3 3"/>',
  key: '<circle cx="8" cy="15" r="4"/><path d="M11 12l9-9M17 6l3 3M15 8l2 2"/>',
  grip: '<circle cx="9" cy="6" r="1"/><circle cx="15" cy="6" r="1"/><circle cx="9" cy="12" r="1"/><circle cx="15" cy="12" r="1"/><circle cx="9" cy="18" r="1"/><circle cx="15" cy="18" r="1"/>',
  warning: '<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18v.5"/>',
  error: '<circle cx="12" cy="12" r="9"/><path d="M12 7v6M12 16.5v.5"/>'
};

/** The icon a category stands for (a node type without a known icon falls back to it). */
export const CATEGORY_ICONS: Record<string, string> = {
  ai: 'bot',
  code: 'code',
  communication: 'mail',
  data: 'braces',
  evaluation: 'gavel',
  flow: 'workflow',
  http: 'globe',
  human: 'user-round-pen',
  logic: 'git-branch',
  rag: 'search',
  storage: 'database',
  triggers: 'play',
  utility: 'box',
  web: 'rss',
  subgraph: 'workflow',
  script: 'code',
  start: 'play',
  end: 'flag'
};

/** Toolbar action name -> icon name. */
export const ACTION_ICONS: Record<string, string> = {
  undo: 'undo',
  redo: 'redo',
  layout: 'layout',
  fit: 'fit',
  delete: 'trash',
  run: 'play',
  'open-run': 'timeline',
  save: 'save',
  'clear-run': 'eye-off',
  note: 'note',
  minimap: 'map',
  help: 'help',
  connect: 'link',
  duplicate: 'duplicate'
};

export function hasIcon(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(PATHS, name);
}

/** Every icon name drawn here (the Lab extension registers each as a LabIcon). */
export function iconNames(): string[] {
  return Object.keys(PATHS);
}

/** The icon name to draw for a catalog icon, falling back to its category's, then a box. */
export function resolveIcon(icon: string | undefined, category?: string): string {
  if (icon && hasIcon(icon)) return icon;
  const byCategory = category ? CATEGORY_ICONS[category] : undefined;
  return byCategory && hasIcon(byCategory) ? byCategory : 'box';
}

/** A standalone SVG document for ``name`` (stroke colour given, or ``currentColor``). */
export function iconSvg(name: string, stroke = 'currentColor', size = 16): string {
  const inner = PATHS[name] ?? PATHS.box;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 24 24" ` +
    `fill="none" stroke="${stroke}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" ` +
    `aria-hidden="true" focusable="false">${inner}</svg>`
  );
}

/** The inner markup of an icon, for drawing it inside another SVG. */
export function iconPaths(name: string): string {
  return PATHS[name] ?? PATHS.box;
}

/**
 * Who turns an icon name into an element: the Lab extension installs one that
 * uses its LabIcons; by default an inline SVG from the same strings.
 */
let renderer: ((name: string) => HTMLElement | null) | null = null;

export function setIconRenderer(render: ((name: string) => HTMLElement | null) | null): void {
  renderer = render;
}

/** A ``<span class="oc-icon">`` holding the icon's SVG. */
export function iconElement(name: string, extraClass = ''): HTMLElement {
  const span = document.createElement('span');
  span.className = `oc-icon${extraClass ? ' ' + extraClass : ''}`;
  span.setAttribute('aria-hidden', 'true');
  span.dataset.icon = name;
  const rendered = renderer?.(name);
  if (rendered) span.append(rendered);
  else span.innerHTML = iconSvg(name);
  return span;
}
