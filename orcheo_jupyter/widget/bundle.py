"""How the canvas's JavaScript reaches the browser without living in the notebook.

anywidget stores ``_esm`` and ``_css`` in the widget state, and a notebook that saves
widget state (``nbconvert --execute``, Lab's "save widget state") would carry the
whole canvas bundle (~0.6 MB) in every canvas output. So ``_esm`` is only a small
loader: it draws the static picture kept in the state, asks the kernel for the
bundle over the widget's own comm (a custom message, which is never saved), imports
it once per page and version, and hands over to it. Without a kernel (a static HTML
page with a widget renderer) the picture stays.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

STATIC = Path(__file__).parent / "static"

_MISSING_BUNDLE = b"""
export default { render({ el }) {
  el.textContent = "The orcheo canvas bundle is missing: build it with `npm run build` "
    + "(or reinstall orcheo-jupyter).";
} };
"""

#: The ``_esm`` of the widget. The bundle arrives as the first buffer of a
#: ``{"type": "boot"}`` reply; its module is cached on the page by version, so a
#: page with ten canvases imports it once.
LOADER = """
const KEY = Symbol.for("orcheo-jupyter.canvas-bundle");
const loaded = (globalThis[KEY] = globalThis[KEY] || new Map());

function ask(model, need) {
  const request = Math.random().toString(36).slice(2);
  return new Promise((resolve) => {
    const onMessage = (msg, buffers) => {
      if (!msg || msg.type !== "boot" || msg.request !== request) return;
      model.off("msg:custom", onMessage);
      resolve({ msg, buffers: buffers || [] });
    };
    model.on("msg:custom", onMessage);
    model.send({ type: "boot", request, need_bundle: need });
  });
}

async function bundle(reply, version) {
  const { msg, buffers } = reply;
  const code = new TextDecoder().decode(buffers[0]);
  const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
  try {
    const module = await import(url);
    if (msg.css && !document.querySelector(`style[data-orcheo-canvas-css="${version}"]`)) {
      const style = document.createElement("style");
      style.dataset.orcheoCanvasCss = version;
      style.textContent = msg.css;
      document.head.append(style);
    }
    return module.default;
  } finally {
    URL.revokeObjectURL(url);
  }
}

export default {
  async render({ model, el }) {
    const picture = document.createElement("div");
    picture.className = "orcheo-static";
    picture.innerHTML = model.get("picture") || "";
    el.append(picture);
    const version = model.get("bundle_version");
    const cached = loaded.get(version);
    const reply = await ask(model, !cached);
    let canvas = cached;
    if (!canvas) {
      canvas = bundle(reply, version);
      loaded.set(version, canvas);
      canvas.catch(() => loaded.delete(version));
    }
    const module = await canvas;
    picture.remove();
    return module.render({ model, el, catalog: reply.msg.catalog || [] });
  },
};
"""


@dataclass(frozen=True)
class Bundle:
    """The built canvas: its ESM bytes, its CSS, its code editor and a version naming them."""

    js: bytes
    css: str
    version: str
    #: The code node editor (CodeMirror), sent the first time a page opens a code node.
    codemirror: bytes = b""


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


@lru_cache(maxsize=4)
def _bundle_at(
    js_stamp: tuple[str, float], css_stamp: tuple[str, float], cm_stamp: tuple[str, float]
) -> Bundle:
    js = _read(Path(js_stamp[0])) or _MISSING_BUNDLE
    css = (_read(Path(css_stamp[0])) or b"").decode("utf-8")
    codemirror = _read(Path(cm_stamp[0])) or b""
    version = hashlib.sha256(js + css.encode("utf-8") + codemirror).hexdigest()[:16]
    return Bundle(js, css, version, codemirror)


def _stamp(path: Path) -> tuple[str, float]:
    try:
        return str(path), path.stat().st_mtime
    except OSError:
        return str(path), -1.0


def current() -> Bundle:
    """The bundle on disk now (re-read after a rebuild, else served from memory)."""
    return _bundle_at(
        _stamp(STATIC / "canvas.js"),
        _stamp(STATIC / "canvas.css"),
        _stamp(STATIC / "codemirror.js"),
    )
