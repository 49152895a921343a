/**
 * lib/local/java.ts: Java 17+ is found, or the error names what to install (never a stack trace).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalModeError } from '../../../lib/local/errors';
import { findJava, parseJavaVersion } from '../../../lib/local/java';
import { tempDir } from '../../support/temp-dir';

test.each([
  ['openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17, '17.0.15'],
  ['openjdk version "21" 2023-09-19', 21, '21'],
  ['java version "1.8.0_292"', 8, '1.8.0_292'],
  ['openjdk version "11.0.2" 2019-01-15', 11, '11.0.2'],
  ['openjdk 22.0.1 2024-04-16', 22, '22.0.1'],
])('parseJavaVersion(%j) → %i', (output, major, version) => {
  expect(parseJavaVersion(output)).toEqual({ major, version });
});

test('parseJavaVersion of text without a version is undefined', () => {
  expect(parseJavaVersion('command not found')).toBeUndefined();
});

/** A fake JAVA_HOME whose bin/java prints `version` like `java -version` (on stderr). */
function fakeJavaHome(version: string): string {
  const home = tempDir('lethe-java-');
  mkdirSync(path.join(home, 'bin'));
  const java = path.join(home, 'bin', 'java');
  writeFileSync(java, `#!/bin/sh\necho 'openjdk version "${version}" 2020-01-01' >&2\n`);
  chmodSync(java, 0o755);
  return home;
}

const onPosix = process.platform === 'win32' ? test.skip : test;

onPosix('Java 11 is refused, naming the version found and what to install', () => {
  const env = { PATH: process.env.PATH, JAVA_HOME: fakeJavaHome('11.0.2') };
  expect(() => findJava({ env })).toThrow(LocalModeError);
  expect(() => findJava({ env })).toThrow(/is Java 11\.0\.2; DynamoDB Local needs Java 17 or later\. Install a JDK 17/);
});

onPosix('a JAVA_HOME without java says Java was not found, and how to install it', () => {
  const env = { PATH: process.env.PATH, JAVA_HOME: tempDir('lethe-nojava-') };
  expect(() => findJava({ env })).toThrow(
    /Java was not found \(.*from JAVA_HOME\).*needs Java 17 or later.*openjdk-17-jdk-headless.*adoptium/,
  );
});

onPosix('no java on the PATH says so', () => {
  expect(() => findJava({ env: { PATH: tempDir('lethe-empty-path-') } })).toThrow(/Java was not found \(`java` on the PATH\)/);
});

onPosix('Java 17 is accepted; without javac beside it there is no javac', () => {
  expect(findJava({ env: { PATH: process.env.PATH, JAVA_HOME: fakeJavaHome('17.0.1') } })).toEqual({
    java: expect.stringMatching(/bin\/java$/),
    major: 17,
    version: '17.0.1',
  });
});
