/**
 * "Workflow from template": the gallery as a list a person can choose from, each
 * template with its title, what it does and its tags (a bare drop-down of names
 * said too little to choose by). Arrow keys move, Enter or a double click creates.
 */

import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { TemplateSummary } from './api';

function el(tag: string, className: string, text = ''): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text) node.textContent = text;
  return node;
}

/** The list of templates as one listbox; ``getValue`` is the chosen template's name. */
class TemplateList extends Widget {
  private chosen = 0;
  private readonly options: HTMLElement[];

  constructor(
    private readonly templates: TemplateSummary[],
    accept: () => void
  ) {
    super();
    this.addClass('jp-OrcheoTemplatePicker');
    const list = el('ul', 'oc-template-list');
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Templates');
    list.tabIndex = 0;
    this.options = templates.map((t, i) => {
      const item = el('li', 'oc-template');
      item.setAttribute('role', 'option');
      item.id = `oc-template-${t.name}`;
      item.dataset.template = t.name;
      const tags = el('span', 'oc-template-tags', t.tags.join(' · '));
      item.append(el('div', 'oc-template-title', t.title), el('div', 'oc-template-description', t.description), tags);
      item.addEventListener('click', () => this.choose(i));
      item.addEventListener('dblclick', () => {
        this.choose(i);
        accept();
      });
      return item;
    });
    list.append(...this.options);
    list.addEventListener('keydown', ev => {
      if (ev.key === 'Enter') {
        ev.preventDefault();
        ev.stopPropagation();
        accept();
        return;
      }
      const step = { ArrowDown: 1, ArrowUp: -1, Home: -this.options.length, End: this.options.length }[ev.key];
      if (step === undefined) return;
      ev.preventDefault();
      this.choose(Math.min(this.options.length - 1, Math.max(0, this.chosen + step)));
    });
    this.node.append(list);
    this.choose(0);
  }

  private choose(i: number): void {
    this.chosen = i;
    this.options.forEach((o, j) => {
      o.setAttribute('aria-selected', String(i === j));
      o.classList.toggle('jp-mod-selected', i === j);
    });
    const list = this.options[i]?.parentElement;
    if (list) list.setAttribute('aria-activedescendant', this.options[i].id);
    this.options[i]?.scrollIntoView({ block: 'nearest' });
  }

  getValue(): string | null {
    return this.templates[this.chosen]?.name ?? null;
  }
}

/** Ask which template to start from; its name, or null when the user cancels. */
export async function pickTemplate(templates: TemplateSummary[]): Promise<string | null> {
  let dialog: Dialog<string | null> | null = null;
  const body = new TemplateList(templates, () => dialog?.resolve(1));
  dialog = new Dialog({
    title: 'Workflow from template',
    body,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Create' })],
    focusNodeSelector: '.oc-template-list'
  });
  const result = await dialog.launch();
  return result.button.accept ? result.value : null;
}
