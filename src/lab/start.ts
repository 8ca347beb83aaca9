/**
 * Starting a run by hand from the Lab: asks for the run's inputs (a form from the
 * document's ``inputs_schema``, else from the ``inputs.*`` keys it uses; values
 * remembered per workflow) and for the comment a manual trigger requires.
 */

import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';
import { inputFieldErrors, inputsSchema, schemaForm, SchemaForm } from '../canvas/inputs';
import { JSONObject, RunOptions, WorkflowDocument } from '../canvas/types';
import { ApiError, OrcheoApi } from './api';

const MEMORY = 'orcheo-jupyter:run-inputs:';

function remembered(id: string): JSONObject {
  try {
    const data = JSON.parse(window.localStorage.getItem(MEMORY + id) ?? '{}') as unknown;
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as JSONObject) : {};
  } catch {
    return {};
  }
}

function remember(id: string, inputs: JSONObject): void {
  try {
    window.localStorage.setItem(MEMORY + id, JSON.stringify(inputs));
  } catch {
    /* storage full or disabled: the form just starts from defaults next time */
  }
}

/** A dialog body around a schema form (Lab's Dialog reads ``getValue``). */
class FormBody extends Widget {
  constructor(
    readonly form: SchemaForm,
    note: string
  ) {
    super();
    this.addClass('jp-OrcheoInputsForm');
    if (note) this.node.append(Object.assign(document.createElement('p'), { className: 'oc-help', textContent: note }));
    this.node.append(form.element);
  }

  getValue(): ReturnType<SchemaForm['read']> {
    return this.form.read();
  }
}

/** The inputs for a run of ``doc``, asked for in a form; null when the user cancels. */
async function askInputs(
  id: string,
  name: string,
  doc: WorkflowDocument,
  serverErrors: Record<string, string> = {},
  last?: JSONObject
): Promise<JSONObject | null> {
  const schema = inputsSchema(doc);
  if (!schema) return {};
  const guessed = !!schema['x-orcheo-guessed'];
  let values: JSONObject = last ?? remembered(id);
  let errors = serverErrors;
  for (;;) {
    const form = schemaForm(schema as Record<string, unknown>, values);
    form.showErrors(errors);
    const note = guessed ? 'This workflow has no inputs_schema; these are the inputs.* values it uses.' : '';
    const result = await showDialog({
      title: `Run ${name}`,
      body: new FormBody(form, note),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Run' })],
      focusNodeSelector: 'input, textarea, select'
    });
    if (!result.button.accept || !result.value) return null;
    const { value, errors: found } = result.value;
    values = (value ?? {}) as JSONObject;
    if (!Object.keys(found).length) {
      remember(id, values);
      return values;
    }
    errors = found;
  }
}

/** Field errors of a 422 about the inputs ("inputs.name" -> message), or null. */
function inputErrors(err: unknown): Record<string, string> | null {
  return err instanceof ApiError && err.status === 422 ? inputFieldErrors(err.problems) : null;
}

/**
 * Start the latest version of workflow ``id``; the new run's id, or null when the
 * user cancelled the inputs form or declined to give the comment a manual trigger
 * asks for. ``doc`` is the version being run (fetched when not given). Any other
 * refusal (not allowed, cooldown) is thrown as an ApiError. ``options`` carries the
 * breakpoints toggled on the canvas.
 */
export async function startRun(
  api: OrcheoApi,
  id: string,
  name = id,
  doc?: WorkflowDocument,
  options?: RunOptions
): Promise<string | null> {
  const document = doc ?? (await api.workflow(id)).document;
  let inputs = await askInputs(id, name, document);
  if (inputs === null) return null;
  let comment: string | undefined;
  for (;;) {
    try {
      return await api.execute(id, inputs, comment, options);
    } catch (err) {
      const bad = inputErrors(err);
      if (bad && inputsSchema(document)) {
        inputs = await askInputs(id, name, document, bad, inputs);
        if (inputs === null) return null;
        continue;
      }
      if (!(err instanceof ApiError) || err.code !== 'comment_required') throw err;
    }
    const answer = await InputDialog.getText({
      title: `Start ${name}`,
      label: 'This workflow asks why it is started by hand. Comment:',
      placeholder: 'e.g. month-end rerun',
      okLabel: 'Start'
    });
    if (!answer.button.accept) return null;
    comment = answer.value ?? '';
  }
}
