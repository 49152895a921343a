/**
 * The isolation property needs Java (DynamoDB Local). Without it, it fails with a message naming what to install,
 * instead of skipping in silence (issue 15, item 17); LETHE_SKIP_JAVA_TESTS=1 skips it knowingly.
 */
import { LocalModeError } from '../../lib/local/errors';
import type { JavaInstallation } from '../../lib/local/java';
import { javaForIsolation, SKIP_JAVA_TESTS_ENV } from './support/isolation-emulators';

const noJava = () => {
  throw new LocalModeError('Java was not found (`java` on the PATH). Local mode runs DynamoDB Local, which needs Java 17 or later.');
};
const java: JavaInstallation = { java: '/usr/bin/java', major: 17, version: '17.0.15' };

describe('javaForIsolation', () => {
  it('fails without Java, saying what is missing and how to skip knowingly', () => {
    expect(() => javaForIsolation({}, noJava)).toThrow(/isolation property needs Java 17.*Java was not found.*LETHE_SKIP_JAVA_TESTS=1/s);
  });

  it.each([['0'], [''], ['yes']])('fails without Java when LETHE_SKIP_JAVA_TESTS=%j, which is not the opt-out', (value) => {
    expect(() => javaForIsolation({ [SKIP_JAVA_TESTS_ENV]: value }, noJava)).toThrow(/needs Java/);
  });

  it('answers undefined (skip) without Java only when LETHE_SKIP_JAVA_TESTS=1', () => {
    expect(javaForIsolation({ [SKIP_JAVA_TESTS_ENV]: '1' }, noJava)).toBeUndefined();
  });

  it('answers the Java found, opted out or not', () => {
    expect(javaForIsolation({}, () => java)).toBe(java);
    expect(javaForIsolation({ [SKIP_JAVA_TESTS_ENV]: '1' }, () => java)).toBe(java);
  });
});
