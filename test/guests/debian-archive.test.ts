// The private apt set-up follows the machine's Debian sources (one-line and deb822 formats),
// restricted to i386, and leaves other repositories and disabled entries out.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemDebianSources } from './debian-archive.js';

function withEtc(files: Record<string, string>, fn: (etc: string) => void): void {
  const etc = mkdtempSync(join(tmpdir(), 'termu-apt-etc-'));
  try {
    mkdirSync(join(etc, 'sources.list.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), text);
    fn(etc);
  } finally {
    rmSync(etc, { recursive: true, force: true });
  }
}

test('deb822 and one-line Debian sources become i386 one-line entries', () => {
  withEtc({
    'sources.list': '# comment\ndeb http://ftp.de.debian.org/debian bookworm main contrib\ndeb-src http://ftp.de.debian.org/debian bookworm main\n',
    'sources.list.d/debian.sources': [
      'Types: deb deb-src',
      'URIs: http://deb.debian.org/debian',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      'Types: deb',
      'URIs: http://deb.debian.org/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      'Enabled: no',
      '',
    ].join('\n'),
    'sources.list.d/cloud.list': 'deb https://packages.cloud.google.com/apt cloud-sdk main\n',
    'sources.list.d/old.list.disabled': 'deb http://deb.debian.org/debian buster main\n',
  }, (etc) => {
    assert.deepEqual(systemDebianSources(etc), [
      'deb [arch=i386] http://ftp.de.debian.org/debian bookworm main contrib',
      'deb [arch=i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main',
      'deb [arch=i386 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-updates main',
    ]);
  });
});

test('without any Debian source, the official mirror is used', () => {
  withEtc({ 'sources.list': 'deb https://example.org/apt stable main\n' }, (etc) => {
    assert.deepEqual(systemDebianSources(etc), ['deb [arch=i386] http://deb.debian.org/debian bookworm main']);
  });
});
