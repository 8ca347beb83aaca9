/**
 * The sidebar's credentials: what the vault holds (names, health, never values) and
 * the ways to add, rotate and delete a secret without leaving JupyterLab. A node
 * setting names one as ``[[name]]``; the values are typed into password fields and
 * go straight to the server, which seals them.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { h } from '../canvas/form';
import { CredentialSummary, OrcheoApi } from './api';

/** A dialog body of labelled fields; ``getValue`` reads them by name. */
class FieldsBody extends Widget {
  readonly inputs = new Map<string, HTMLInputElement>();

  constructor(fields: { name: string; label: string; type: string; value?: string }[], error: string) {
    super();
    this.addClass('jp-OrcheoCredentialForm');
    for (const f of fields) {
      const input = h('input', {
        type: f.type,
        name: f.name,
        'data-input': f.name,
        autocomplete: 'off'
      }) as HTMLInputElement;
      input.value = f.value ?? '';
      this.inputs.set(f.name, input);
      this.node.append(h('label', { class: 'oc-label' }, f.label), input);
    }
    if (error)
      this.node.append(h('div', { class: 'oc-error-text', role: 'alert', 'data-credential-error': '' }, error));
  }

  getValue(): Record<string, string> {
    return Object.fromEntries([...this.inputs].map(([k, v]) => [k, v.value]));
  }
}

/**
 * Ask for ``fields`` until ``submit`` accepts them; an answer the server refuses comes
 * back with its reason under the fields, as typed (the secret's field is emptied).
 */
async function ask(
  title: string,
  action: string,
  fields: { name: string; label: string; type: string }[],
  submit: (values: Record<string, string>) => Promise<unknown>
): Promise<boolean> {
  let error = '';
  let last: Record<string, string> = {};
  for (;;) {
    const body = new FieldsBody(
      fields.map(f => ({ ...f, value: f.type === 'password' ? '' : last[f.name] })),
      error
    );
    const result = await showDialog({
      title,
      body,
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: action })],
      focusNodeSelector: 'input'
    });
    if (!result.button.accept || !result.value) return false;
    last = result.value;
    try {
      await submit(last);
      return true;
    } catch (err) {
      error = (err as Error).message;
    }
  }
}

export class CredentialsSection {
  readonly node: HTMLElement;
  private readonly list = h('ul', { class: 'oc-credentials' });
  private readonly message = h('div', { class: 'oc-muted' }, 'Loading…');

  constructor(private readonly api: OrcheoApi) {
    const add = h('button', { type: 'button', class: 'jp-mod-styled', 'data-action': 'add-credential' }, 'Add');
    add.addEventListener('click', () => void this.add());
    this.node = h(
      'section',
      { class: 'oc-credentials-section' },
      h('h3', {}, h('span', {}, 'Credentials'), add),
      this.message,
      this.list
    );
  }

  async refresh(): Promise<void> {
    let found: CredentialSummary[];
    try {
      found = await this.api.credentialList();
    } catch (err) {
      this.message.textContent = `Cannot list credentials: ${(err as Error).message}`;
      this.list.replaceChildren();
      return;
    }
    this.message.textContent = found.length
      ? ''
      : 'None yet. Add one, then name it in a node setting as [[name]]: the value stays on the server.';
    this.list.replaceChildren(...found.map(c => this.item(c)));
  }

  private item(c: CredentialSummary): HTMLElement {
    const rotate = h(
      'button',
      { type: 'button', class: 'jp-mod-styled', 'data-action': 'rotate-credential' },
      'Rotate'
    );
    rotate.addEventListener('click', () => void this.rotate(c.name));
    const remove = h(
      'button',
      { type: 'button', class: 'jp-mod-styled', 'data-action': 'delete-credential' },
      'Delete'
    );
    remove.addEventListener('click', () => void this.remove(c.name));
    const scope = c.scope === 'all' ? 'all workflows' : `${c.scope.length} workflow${c.scope.length === 1 ? '' : 's'}`;
    const health = c.health.healthy ? 'healthy' : c.health.status;
    return h(
      'li',
      {
        'data-credential': c.name,
        title: `${c.description ? c.description + '\n' : ''}[[${c.name}]] · ${c.kind} · ${scope}${c.health.reason ? '\n' + c.health.reason : ''}`
      },
      h('code', {}, c.name),
      h(
        'span',
        { class: `oc-state oc-state-${c.health.healthy ? 'succeeded' : 'failed'}`, 'data-health': c.health.status },
        health
      ),
      c.kind === 'secret' ? rotate : '',
      remove
    );
  }

  private async add(): Promise<void> {
    const fields = [
      { name: 'name', label: 'Name (used as [[name]])', type: 'text' },
      { name: 'value', label: 'Secret value', type: 'password' },
      { name: 'description', label: 'Description (optional)', type: 'text' }
    ];
    const done = await ask('Add credential', 'Add', fields, v => {
      if (!v.value) return Promise.reject(new Error('value: type the secret to store'));
      return this.api.createCredential(v.name.trim(), v.value, v.description.trim());
    });
    if (done) await this.refresh();
  }

  private async rotate(name: string): Promise<void> {
    const fields = [{ name: 'value', label: `New value of [[${name}]]`, type: 'password' }];
    const done = await ask(`Rotate ${name}`, 'Rotate', fields, v => {
      if (!v.value) return Promise.reject(new Error('value: type the new secret'));
      return this.api.rotateCredential(name, v.value);
    });
    if (done) await this.refresh();
  }

  private async remove(name: string): Promise<void> {
    const result = await showDialog({
      title: `Delete ${name}?`,
      body: `Runs that name [[${name}]] will be refused until a credential of that name exists again. Its audit history stays.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Delete' })]
    });
    if (!result.button.accept) return;
    try {
      await this.api.deleteCredential(name);
    } catch (err) {
      this.message.textContent = `Cannot delete ${name}: ${(err as Error).message}`;
    }
    await this.refresh();
  }
}
