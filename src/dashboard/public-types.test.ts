/**
 * The browser code is plain JavaScript served as is (no build step), type-checked from its JSDoc
 * against the server's own types by src/dashboard/public/tsconfig.json. The root `tsc` does not
 * see .js files, so this test runs that check as part of `npm test`.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

describe('dashboard browser code', () => {
  it('type-checks against the stream types (tsc -p src/dashboard/public)', () => {
    const configPath = fileURLToPath(new URL('./public/tsconfig.json', import.meta.url));
    const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
    expect(read.error).toBeUndefined();
    const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, fileURLToPath(new URL('./public/', import.meta.url)));
    expect(parsed.errors).toEqual([]);
    expect(parsed.fileNames.some((f) => f.endsWith('/app.js'))).toBe(true);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file === undefined ? '' : `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
      return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
