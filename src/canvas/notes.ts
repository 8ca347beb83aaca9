/**
 * Sticky notes: the document's ``canvas.comments`` drawn over the graph, moving
 * and zooming with it. A note is edited in place (typing), moved by its grip and
 * deleted with its close button; each change is a ``set_comment`` diff, so notes
 * are saved with the document, undoable, and synced like any other edit.
 */

import type cytoscape from 'cytoscape';
import { h } from './form';
import { iconElement } from './icons';
import { CanvasComment, Diff, Position } from './types';

export interface NotesHost {
  readOnly: () => boolean;
  edit: (diffs: Diff[], label: string) => boolean;
  /** Say something to screen readers. */
  announce: (text: string) => void;
}

/** Note width in model units (the note scales with the zoom like the nodes). */
const WIDTH = 200;

export class NotesLayer {
  private notes: CanvasComment[] = [];
  private readonly els = new Map<string, HTMLElement>();
  private readonly typing = new Map<string, number>();
  private frame = 0;

  constructor(
    private readonly cy: cytoscape.Core,
    private readonly layer: HTMLElement,
    private readonly host: NotesHost
  ) {
    cy.on('viewport resize', () => this.schedule());
  }

  /** Draw ``comments`` (called after every document change). */
  render(comments: CanvasComment[]): void {
    this.notes = comments;
    const want = new Set(comments.map(c => c.id));
    for (const [id, el] of this.els) {
      if (!want.has(id)) {
        el.remove();
        this.els.delete(id);
      }
    }
    for (const c of comments) {
      let el = this.els.get(c.id);
      if (!el) {
        el = this.create(c.id);
        this.els.set(c.id, el);
        this.layer.append(el);
      }
      const area = el.querySelector('textarea') as HTMLTextAreaElement;
      // Never overwrite what the user is typing.
      if (document.activeElement !== area && !this.typing.has(c.id) && area.value !== c.text) area.value = c.text;
      area.readOnly = this.host.readOnly();
      el.dataset.x = String(c.x);
      el.dataset.y = String(c.y);
    }
    this.layer.toggleAttribute('data-read-only', this.host.readOnly());
    this.place();
  }

  /** Add a note at ``at`` (model coordinates) and put the cursor in it. */
  add(at: Position): string | null {
    if (this.host.readOnly()) return null;
    const taken = new Set(this.notes.map(n => n.id));
    let i = this.notes.length + 1;
    while (taken.has(`note_${i}`)) i++;
    const id = `note_${i}`;
    const ok = this.host.edit(
      [{ op: 'set_comment', id, comment: { text: '', x: Math.round(at.x), y: Math.round(at.y) } }],
      'add note'
    );
    if (!ok) return null;
    this.els.get(id)?.querySelector('textarea')?.focus();
    this.host.announce('Note added: type its text, Escape returns to the graph');
    return id;
  }

  private note(id: string): CanvasComment | undefined {
    return this.notes.find(n => n.id === id);
  }

  private create(id: string): HTMLElement {
    const area = h('textarea', {
      class: 'oc-note-text',
      rows: '4',
      placeholder: 'Note',
      'aria-label': 'Sticky note',
      spellcheck: 'true'
    });
    const grip = h('span', { class: 'oc-note-grip', title: 'Drag to move the note' }, iconElement('grip'));
    const del = h(
      'button',
      { type: 'button', class: 'oc-note-delete', title: 'Delete note', 'aria-label': 'Delete note' },
      iconElement('close')
    );
    const el = h(
      'div',
      { class: 'oc-note', 'data-comment-id': id },
      h('div', { class: 'oc-note-bar' }, grip, del),
      area
    );
    area.addEventListener('input', () => {
      window.clearTimeout(this.typing.get(id));
      this.typing.set(
        id,
        window.setTimeout(() => this.commitText(id, area), 500)
      );
    });
    area.addEventListener('blur', () => this.commitText(id, area));
    area.addEventListener('keydown', ev => {
      if (ev.key === 'Escape') {
        this.commitText(id, area);
        (this.cy.container() as HTMLElement | null)?.focus({ preventScroll: true });
      }
    });
    del.addEventListener('click', () => {
      if (this.host.readOnly()) return;
      window.clearTimeout(this.typing.get(id));
      this.typing.delete(id);
      if (this.host.edit([{ op: 'set_comment', id, comment: null }], 'delete note')) this.host.announce('Note deleted');
    });
    this.dragging(id, el.querySelector('.oc-note-bar') as HTMLElement);
    return el;
  }

  private commitText(id: string, area: HTMLTextAreaElement): void {
    window.clearTimeout(this.typing.get(id));
    this.typing.delete(id);
    const note = this.note(id);
    if (!note || note.text === area.value || this.host.readOnly()) return;
    this.host.edit([{ op: 'set_comment', id, comment: { text: area.value, x: note.x, y: note.y } }], 'edit note');
  }

  /** Drag by the note's bar: the note follows the pointer; the move is one edit on release. */
  private dragging(id: string, bar: HTMLElement): void {
    bar.addEventListener('pointerdown', ev => {
      if ((ev.target as HTMLElement).closest('button') || this.host.readOnly() || ev.button !== 0) return;
      const note = this.note(id);
      const el = this.els.get(id);
      if (!note || !el) return;
      ev.preventDefault();
      bar.setPointerCapture(ev.pointerId);
      const zoom = this.cy.zoom();
      const start = { x: ev.clientX, y: ev.clientY };
      let at = { x: note.x, y: note.y };
      const move = (e: PointerEvent): void => {
        at = { x: note.x + (e.clientX - start.x) / zoom, y: note.y + (e.clientY - start.y) / zoom };
        el.dataset.x = String(at.x);
        el.dataset.y = String(at.y);
        this.placeOne(el);
      };
      const up = (): void => {
        bar.removeEventListener('pointermove', move);
        bar.removeEventListener('pointerup', up);
        bar.removeEventListener('pointercancel', up);
        const x = Math.round(at.x);
        const y = Math.round(at.y);
        if (x === note.x && y === note.y) return;
        const text = (el.querySelector('textarea') as HTMLTextAreaElement).value;
        this.host.edit([{ op: 'set_comment', id, comment: { text, x, y } }], 'move note');
      };
      bar.addEventListener('pointermove', move);
      bar.addEventListener('pointerup', up);
      bar.addEventListener('pointercancel', up);
    });
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = window.requestAnimationFrame(() => {
      this.frame = 0;
      this.place();
    });
  }

  private placeOne(el: HTMLElement): void {
    const zoom = this.cy.zoom();
    const pan = this.cy.pan();
    const x = Number(el.dataset.x) * zoom + pan.x;
    const y = Number(el.dataset.y) * zoom + pan.y;
    el.style.width = `${WIDTH}px`;
    el.style.transform = `translate(${x}px, ${y}px) scale(${zoom})`;
  }

  /** Put every note where its model position is drawn now. */
  place(): void {
    for (const el of this.els.values()) this.placeOne(el);
  }

  destroy(): void {
    window.cancelAnimationFrame(this.frame);
    for (const t of this.typing.values()) window.clearTimeout(t);
  }
}
