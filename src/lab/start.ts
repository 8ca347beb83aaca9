/** Starting a run by hand from the Lab: asks for the comment a manual trigger requires. */

import { InputDialog } from '@jupyterlab/apputils';
import { ApiError, OrcheoApi } from './api';

/**
 * Start the latest version of workflow ``id``; the new run's id, or null when the
 * user declined to give the comment the workflow's manual trigger asks for.
 * Any other refusal (not allowed, cooldown, bad inputs) is thrown as an ApiError.
 */
export async function startRun(api: OrcheoApi, id: string, name = id): Promise<string | null> {
  let comment: string | undefined;
  for (;;) {
    try {
      return await api.execute(id, {}, comment);
    } catch (err) {
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
