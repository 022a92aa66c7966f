/**
 * A command's cloud settings in a running stack (src/stack/cloud-settings.ts): only the providers'
 * variables travel in the header; the stack answers them for the request that carried them and for the
 * executions started under them, replacing its own provider variables entirely, and forgets them once
 * an execution closes.
 */
import { describe, expect, it } from 'vitest';
import {
  CloudSettings,
  parseSettingsHeader,
  settingsHeader,
  settingsOf,
} from '../../src/stack/cloud-settings.ts';

const COMMAND = {
  HUAWEICLOUD_SDK_AK: 'AK-OF-THE-COMMAND',
  HUAWEICLOUD_SDK_SK: 'sk-of-the-command',
  HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:9',
  PATH: '/usr/bin',
  NATFLOW_TOKEN: 'not-a-setting',
};
const STACK = { HUAWEICLOUD_REGION: 'cn-north-4', HUAWEICLOUD_SDK_AK: 'AK-OF-THE-STACK', HOME: '/root' };

describe('Class: CloudSettings', () => {
  it('carries only the providers’ variables in the header', () => {
    expect(settingsOf(COMMAND)).toEqual({
      HUAWEICLOUD_SDK_AK: 'AK-OF-THE-COMMAND',
      HUAWEICLOUD_SDK_SK: 'sk-of-the-command',
      HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(parseSettingsHeader(settingsHeader(COMMAND))).toEqual(settingsOf(COMMAND));
    expect(settingsHeader({ PATH: '/usr/bin' })).toBeUndefined();
  });

  it.each([
    ['no header', undefined],
    ['not base64 JSON', '%%%'],
    ['a list', Buffer.from('[1]').toString('base64url')],
    [
      'other variables only',
      Buffer.from(JSON.stringify({ PATH: '/tmp', NATFLOW_TOKEN: 'x' })).toString('base64url'),
    ],
  ])('ignores a header with %s', (_name, header) => {
    expect(parseSettingsHeader(header)).toBeUndefined();
  });

  it('answers the request’s settings in place of the stack’s own provider variables', () => {
    // Prepare
    const settings = new CloudSettings(STACK);
    const header = settingsHeader(COMMAND);

    // Act
    const inside = settings.serveWith(header, () => settings.envFor(undefined));
    const outside = settings.envFor(undefined);

    // Assess
    expect(inside).toEqual({
      HOME: '/root',
      HUAWEICLOUD_SDK_AK: 'AK-OF-THE-COMMAND',
      HUAWEICLOUD_SDK_SK: 'sk-of-the-command',
      HUAWEICLOUD_ENDPOINT: 'http://127.0.0.1:9',
    });
    expect(outside).toBe(STACK);
  });

  it('keeps an execution’s settings from its first step, across async work, until it closes', async () => {
    const settings = new CloudSettings(STACK);
    await settings.serveWith(settingsHeader(COMMAND), async () => {
      await new Promise((done) => setTimeout(done, 1));
      settings.bind('arn:execution:1');
    });
    expect(settings.envFor('arn:execution:1').HUAWEICLOUD_SDK_AK).toBe('AK-OF-THE-COMMAND');
    expect(settings.envFor('arn:execution:2')).toBe(STACK);
    expect(settings.size).toBe(1);
    settings.forget('arn:execution:1');
    expect(settings.envFor('arn:execution:1')).toBe(STACK);
    expect(settings.size).toBe(0);
  });

  it('hands the current request’s settings on to the calls it makes', () => {
    const settings = new CloudSettings(STACK);
    const header = settingsHeader(COMMAND);
    expect(settings.serveWith(header, () => settings.currentHeader())).toBe(header);
    expect(settings.currentHeader()).toBeUndefined();
  });
});
