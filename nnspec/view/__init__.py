"""``nnspec view``: a spec's diagram, summary and errors in a local web page that follows the
file. ``state`` computes what the page shows; ``server`` serves it (on 127.0.0.1 only) with
``page.html``, which draws it and asks again whenever the file changes."""
