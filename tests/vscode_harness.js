// Runs editors/vscode/extension.js under node with stand-ins for VS Code's API and the
// language client, as tests/test_editors.py asks: activates it, shows a spec's diagram,
// writes $NEW_TEXT into the spec and saves it, and prints what happened as JSON lines.
//   NEW_TEXT=... node tests/vscode_harness.js SPEC PROGRAM [ARGS...]   (PROGRAM ARGS: how to run nnspec)
"use strict";

const Module = require("module");
const path = require("path");

const [spec, ...command] = process.argv.slice(2);
const say = (event) => console.log(JSON.stringify(event));
const handlers = { commands: {}, save: [] };
let drawn = 0;

const vscode = {
  ViewColumn: { Beside: -2 },
  workspace: {
    getConfiguration: () => ({ get: (key, fallback) => (key === "command" ? command : fallback) }),
    onDidSaveTextDocument: (f) => { handlers.save.push(f); return { dispose() {} }; },
  },
  commands: { registerCommand: (name, f) => { handlers.commands[name] = f; return { dispose() {} }; } },
  window: {
    activeTextEditor: null,
    showInformationMessage: (text) => say({ event: "message", text }),
    createWebviewPanel: (kind, title, where) => {
      const panel = {
        webview: {
          set html(text) {
            say({ event: "html", title, svg: text.includes("<svg"), error: text.includes('class="error"'), text });
            drawn += 1;
            if (drawn === 1) { // after the first drawing, a save draws it again
              require("fs").writeFileSync(spec, process.env.NEW_TEXT);
              handlers.save.forEach((f) => f(document));
            }
          },
        },
        reveal: () => say({ event: "reveal" }),
        onDidDispose: () => ({ dispose() {} }),
      };
      say({ event: "panel", kind, title, column: where.viewColumn });
      return panel;
    },
  },
};

class LanguageClient {
  constructor(id, name, server, client) {
    say({ event: "client", id, server: server.run, selector: client.documentSelector });
  }
  start() { say({ event: "start" }); return Promise.resolve(); }
  stop() { return Promise.resolve(); }
}

const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === "vscode") return vscode;
  if (request === "vscode-languageclient/node") return { LanguageClient, TransportKind: { stdio: 0 } };
  return load.call(this, request, ...rest);
};

const extension = require(path.join(__dirname, "..", "editors", "vscode", "extension.js"));
extension.activate({ subscriptions: [] });
const document = { languageId: "nnspec", isDirty: false, uri: { fsPath: spec }, save: () => say({ event: "saved" }) };
vscode.window.activeTextEditor = { document };
handlers.commands["nnspec.showDiagram"]();
