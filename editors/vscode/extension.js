// The nnspec extension: starts `nnspec lsp` for .nn files, and shows a spec's diagram
// (`nnspec diagram`, SVG) beside the editor, drawn again each time the spec is saved.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");
const { execFile } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

let client;
const panels = new Map(); // spec path -> its diagram's webview panel

function nnspecCommand() {
  const command = vscode.workspace.getConfiguration("nnspec").get("command", ["nnspec"]);
  return Array.isArray(command) && command.length ? command : ["nnspec"];
}

function activate(context) {
  const [program, ...before] = nnspecCommand();
  const server = { command: program, args: [...before, "lsp"], transport: TransportKind.stdio };
  client = new LanguageClient("nnspec", "nnspec", { run: server, debug: server }, {
    documentSelector: [
      { scheme: "file", language: "nnspec" },
      { scheme: "untitled", language: "nnspec" },
    ],
  });
  client.start();

  context.subscriptions.push(
    vscode.commands.registerCommand("nnspec.showDiagram", () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== "nnspec") {
        vscode.window.showInformationMessage("nnspec: open a .nn file to see its diagram.");
        return;
      }
      showDiagram(editor.document);
    }),
    vscode.workspace.onDidSaveTextDocument((document) => {
      if (panels.has(document.uri.fsPath)) {
        draw(panels.get(document.uri.fsPath), document.uri.fsPath);
      }
    }),
  );
}

function showDiagram(document) {
  const file = document.uri.fsPath;
  let panel = panels.get(file);
  if (panel) {
    panel.reveal(vscode.ViewColumn.Beside, true);
  } else {
    panel = vscode.window.createWebviewPanel("nnspecDiagram", `Diagram: ${path.basename(file)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, { enableScripts: false });
    panels.set(file, panel);
    panel.onDidDispose(() => panels.delete(file));
  }
  if (document.isDirty) {
    document.save(); // drawn on save, from the text on disk
  } else {
    draw(panel, file);
  }
}

// Draw the spec's diagram into the panel: `nnspec diagram FILE -o TMP.svg`, then the SVG
// inline; on an error, the command's message (the spec's diagnostics) as text.
function draw(panel, file) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nnspec-diagram-"));
  const out = path.join(dir, "diagram.svg");
  const [program, ...before] = nnspecCommand();
  const direction = vscode.workspace.getConfiguration("nnspec").get("diagram.direction", "TB");
  const args = [...before, "diagram", file, "-o", out, "--direction", direction];
  execFile(program, args, { cwd: path.dirname(file), timeout: 60000 }, (error, _stdout, stderr) => {
    let body;
    if (error) {
      body = `<pre class="error">${escape(stderr || error.message)}</pre>`;
    } else {
      body = `<div class="diagram">${fs.readFileSync(out, "utf8").replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?/, "")}</div>`;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    panel.webview.html = page(body);
  });
}

function escape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function page(body) {
  // the SVG is nnspec's own output; the page runs no script and loads nothing
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;">
<style>
  body { background: #fff; margin: 0; padding: 8px; }
  .diagram svg { max-width: 100%; height: auto; }
  .error { color: #a00; white-space: pre-wrap; font-family: monospace; }
</style></head>
<body>${body}</body></html>`;
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
