/**
 * The canvas's colours, read from CSS. Cytoscape paints on a <canvas> and cannot
 * use CSS variables, so the stylesheet is built from computed values: style/canvas.css
 * maps JupyterLab's theme variables (``--jp-layout-color1``, ``--jp-brand-color1``...)
 * to ``--oc-*`` properties with fallbacks for hosts without Lab's variables (the
 * notebook widget in VS Code). A theme switch is noticed (Lab sets attributes on
 * <body>) and the colours are read again.
 */

export const CATEGORIES = [
  'ai',
  'code',
  'communication',
  'data',
  'evaluation',
  'flow',
  'http',
  'human',
  'logic',
  'rag',
  'storage',
  'triggers',
  'utility',
  'web'
] as const;

export interface Theme {
  dark: boolean;
  /** The graph's background. */
  bg: string;
  /** A node card's face. */
  card: string;
  cardBorder: string;
  fg: string;
  muted: string;
  accent: string;
  edge: string;
  route: string;
  sentinel: string;
  warn: string;
  error: string;
  success: string;
  running: string;
  interrupted: string;
  skipped: string;
  categories: Record<string, string>;
  fontFamily: string;
}

const FALLBACK: Omit<Theme, 'dark' | 'categories'> = {
  bg: '#ffffff',
  card: '#ffffff',
  cardBorder: '#b0bec5',
  fg: '#263238',
  muted: '#607d8b',
  accent: '#1976d2',
  edge: '#90a4ae',
  route: '#7e57c2',
  sentinel: '#eceff1',
  warn: '#f57c00',
  error: '#d32f2f',
  success: '#388e3c',
  running: '#1e88e5',
  interrupted: '#8e24aa',
  skipped: '#9e9e9e',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif'
};

const CATEGORY_FALLBACK: Record<string, string> = {
  ai: '#7e57c2',
  code: '#3f51b5',
  communication: '#039be5',
  data: '#1976d2',
  evaluation: '#827717',
  flow: '#607d8b',
  http: '#00897b',
  human: '#d81b60',
  logic: '#8e24aa',
  rag: '#43a047',
  storage: '#6d4c41',
  triggers: '#f57c00',
  utility: '#757575',
  web: '#00838f'
};

const KEYS: Record<keyof typeof FALLBACK, string> = {
  bg: '--oc-bg',
  card: '--oc-card',
  cardBorder: '--oc-card-border',
  fg: '--oc-fg',
  muted: '--oc-muted',
  accent: '--oc-accent',
  edge: '--oc-edge',
  route: '--oc-route',
  sentinel: '--oc-sentinel',
  warn: '--oc-warn',
  error: '--oc-error',
  success: '--oc-success',
  running: '--oc-running',
  interrupted: '--oc-interrupted',
  skipped: '--oc-skipped',
  fontFamily: '--oc-font'
};

/** Parse ``#rgb``, ``#rrggbb`` or ``rgb()/rgba()`` into [r, g, b] (0-255); null when unknown. */
export function parseColour(text: string): [number, number, number] | null {
  const s = text.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(s);
  if (m) return [0, 1, 2].map(i => parseInt(m![1][i] + m![1][i], 16)) as [number, number, number];
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(s);
  if (m) return [0, 2, 4].map(i => parseInt(m![1].slice(i, i + 2), 16)) as [number, number, number];
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(s);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  return null;
}

/** Relative luminance (0 black .. 1 white) of a colour; 1 when it cannot be parsed. */
export function luminance(colour: string): number {
  const rgb = parseColour(colour);
  if (!rgb) return 1;
  const [r, g, b] = rgb.map(c => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** ``colour`` mixed into ``base`` (0 = base, 1 = colour), as ``rgb()``. */
export function mix(colour: string, base: string, amount: number): string {
  const a = parseColour(colour) ?? [128, 128, 128];
  const b = parseColour(base) ?? [255, 255, 255];
  const c = a.map((v, i) => Math.round(b[i] + (v - b[i]) * amount));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * A colour as the canvas can use it: CSS may hand back a ``var()`` chain the
 * browser resolved to a colour, or (for custom properties) the raw text; resolve
 * anything unusual through a probe element's computed colour.
 */
function resolve(el: HTMLElement, raw: string, fallback: string): string {
  const value = raw.trim();
  if (!value) return fallback;
  if (parseColour(value)) return value;
  const probe = document.createElement('span');
  probe.style.display = 'none';
  probe.style.color = value;
  el.append(probe);
  const computed = getComputedStyle(probe).color;
  probe.remove();
  return parseColour(computed) ? computed : fallback;
}

/** The theme in force for ``el`` (an element inside ``.orcheo-canvas``). */
export function readTheme(el: HTMLElement): Theme {
  const css = getComputedStyle(el);
  const out = { ...FALLBACK } as Theme;
  for (const [key, prop] of Object.entries(KEYS) as [keyof typeof FALLBACK, string][]) {
    const raw = css.getPropertyValue(prop);
    out[key] = key === 'fontFamily' ? raw.trim() || FALLBACK.fontFamily : resolve(el, raw, FALLBACK[key]);
  }
  out.categories = {};
  for (const cat of CATEGORIES) {
    out.categories[cat] = resolve(el, css.getPropertyValue(`--oc-cat-${cat}`), CATEGORY_FALLBACK[cat]);
  }
  // Lab says which kind of theme it is; elsewhere the background decides.
  const light = document.body?.dataset.jpThemeLight;
  out.dark = light === 'false' || (light === undefined && luminance(out.bg) < 0.3);
  return out;
}

/** A short fingerprint: re-style only when a colour really changed. */
export function themeKey(theme: Theme): string {
  return JSON.stringify(theme);
}

/**
 * Call ``changed`` when the page's theme may have changed: Lab's theme manager
 * sets ``data-jp-theme-light`` / ``data-jp-theme-name`` on <body> and swaps a
 * stylesheet (whose rules may apply a moment later, so look again shortly after).
 * Returns a cleanup.
 */
export function watchTheme(changed: () => void): () => void {
  const timers: number[] = [];
  const soon = (): void => {
    for (const t of timers.splice(0)) window.clearTimeout(t);
    changed();
    for (const delay of [50, 250, 1000]) timers.push(window.setTimeout(changed, delay));
  };
  const observer = new MutationObserver(soon);
  if (document.body) {
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name', 'class']
    });
  }
  // A stylesheet added or removed (Lab's theme CSS) may change the variables too.
  observer.observe(document.head, { childList: true });
  const media = window.matchMedia?.('(prefers-color-scheme: dark)');
  media?.addEventListener?.('change', soon);
  return () => {
    observer.disconnect();
    media?.removeEventListener?.('change', soon);
    for (const t of timers) window.clearTimeout(t);
  };
}
