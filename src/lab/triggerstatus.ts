/**
 * A trigger node's state on the server, for the canvas panel: the webhook address
 * to call (with the headers it checks), a cron trigger's next and last fires, a
 * polling trigger's next poll and what the last one saw. Triggers are live once the
 * workflow is stored (Run stores it), so an unstored one says so.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { TriggerStatus } from '../canvas/types';
import { ApiError, OrcheoApi, TriggerItem, TriggersDetail } from './api';

const NOT_STORED = 'Not live yet: Run stores the workflow on the server, and its triggers start then.';

function rowsOf(api: OrcheoApi, info: TriggersDetail, item: TriggerItem): TriggerStatus['rows'] {
  const hook = info.webhook;
  if (item.type === 'webhook' && hook && hook.trigger_id === item.id) {
    const rows = [
      { label: 'Address', value: URLExt.join(api.settings.baseUrl, hook.path), copy: true },
      { label: 'Methods', value: hook.methods.join(', ') },
      { label: 'Authentication', value: hook.auth },
      { label: 'Idempotency header', value: hook.idempotency_header }
    ];
    if (hook.signature_header) rows.push({ label: 'Signature header', value: hook.signature_header });
    return rows;
  }
  if (item.type === 'cron')
    return [
      { label: 'Next fire', value: item.next_fire_at ?? 'none scheduled' },
      { label: 'Last fire', value: item.last_fire_at ?? 'never' }
    ];
  if (item.type === 'http_polling') {
    const last = item.last_poll;
    const seen = last
      ? `${last.status ?? '?'} at ${last.polled_at ?? '?'}${last.detail ? ` (${last.detail})` : ''}`
      : 'not yet';
    return [
      { label: 'Next poll', value: item.next_poll_at ?? 'none scheduled' },
      { label: 'Last poll', value: seen }
    ];
  }
  return [{ label: 'Starts', value: 'by hand: Run, the API or a magic' }];
}

/**
 * The canvas host's ``triggerStatus`` for the workflow ``workflowId()`` names. ``stored``
 * says whether a workflow is stored (undefined: not known): one known never stored is
 * told so without a request the browser's console would show as a 404.
 */
export function labTriggerStatus(
  api: OrcheoApi,
  workflowId: () => string,
  stored: (id: string) => Promise<boolean | undefined> = () => Promise.resolve(undefined)
): (nodeId: string) => Promise<TriggerStatus> {
  return async nodeId => {
    const id = workflowId();
    if ((await stored(id)) === false) return { rows: [], note: NOT_STORED };
    let info: TriggersDetail;
    try {
      info = await api.triggers(id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { rows: [], note: NOT_STORED };
      throw err;
    }
    const item = info.triggers.find(t => t.id === nodeId);
    if (!item)
      return {
        rows: [],
        note: `Not in the stored version ${info.version}: the next Run stores this one and starts it.`
      };
    const rows = rowsOf(api, info, item);
    const note = item.enabled
      ? `As stored in version ${info.version} (Run stores your changes).`
      : `Disabled in version ${info.version}.`;
    return { rows, note };
  };
}
