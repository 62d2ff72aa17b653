"""`nnspec view`: a spec's diagram, summary and errors in a local web page that follows the file
(see :mod:`nnspec.view`)."""

from __future__ import annotations

import os
import sys

import click


@click.command("view")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="The port on 127.0.0.1 (0: a free one).")
@click.option("--no-browser", is_flag=True, help="Only print the address; open no browser.")
def command(file, port, no_browser):
    """Show FILE's diagram, summary table and errors in the browser, drawn again on every save.

    The page zooms (wheel) and pans (drag); a click on a block marked ×N or listing its layers
    expands it, a click on an expanded block's frame collapses it; pointing at a box shows its
    module, shape, parameters, MACs and spec line. The server listens on 127.0.0.1 only and
    runs until Ctrl-C.
    """
    from ...view.server import ViewServer

    if not os.path.exists(file):
        raise click.BadParameter(f"no such file: {file}", param_hint="FILE")
    try:
        server = ViewServer(file, port)
    except OSError as e:
        click.echo(f"error: cannot listen on 127.0.0.1:{port}: {e.strerror or e}", err=True)
        sys.exit(1)
    click.echo(f"nnspec view: {file} at {server.url} (Ctrl-C to stop)", err=False)
    sys.stdout.flush()
    if not no_browser:
        import webbrowser

        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
