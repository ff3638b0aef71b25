import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { NAME_COLORS, nameColor, nameColorClass } from '../../../src/client/name-color.js';
import { renderLine } from '../../../src/client/render.js';

const ROOT = new URL('../../../../', import.meta.url);
const NAMES = ['ana', 'Ana', 'ＡＮＡ', 'bob', 'carol', 'dave', 'eve', 'frank', 'ñandú', '李', 'o’brien', 'x-y_z'];

test('name-color - the terminal paints a name in the SGR colour the page names its CSS class after', () => {
  for (const name of NAMES) {
    const code = nameColor(name);
    assert.ok(NAME_COLORS.includes(code));
    assert.equal(nameColorClass(name), `c${code}`);
    const line = renderLine(`${name}: hola`, { color: true, you: 'tú' });
    assert.ok(line.startsWith(`\u001b[1;${code}m${name}\u001b[0m`), JSON.stringify(line));
  }
});

test('name-color - the module the browser loads gives every name the terminal client\'s colour', async () => {
  // The page's build (dist/web/js/...) compiles src/client/name-color.ts with the DOM's lib: the
  // same code, so the same colour, checked on what the browser actually downloads.
  const built = (await import(new URL('dist/web/js/src/client/name-color.js', ROOT).href)) as { nameColor(name: string): number; nameColorClass(name: string): string };
  for (const name of NAMES) {
    assert.equal(built.nameColor(name), nameColor(name), name);
    assert.equal(built.nameColorClass(name), nameColorClass(name), name);
  }
});

test('name-color - the page\'s style sheet has a colour for every terminal name colour, light and dark', () => {
  const css = readFileSync(new URL('web/style.css', ROOT), 'utf8');
  const dark = css.slice(css.indexOf('prefers-color-scheme: dark'));
  for (const code of NAME_COLORS) {
    assert.match(css, new RegExp(`\\.c${code} \\{ color: var\\(--c${code}\\); \\}`), `.c${code}`);
    assert.match(css, new RegExp(`--c${code}: #[0-9a-f]{6};`), `--c${code} (light)`);
    assert.match(dark, new RegExp(`--c${code}: #[0-9a-f]{6};`), `--c${code} (dark)`);
  }
});
