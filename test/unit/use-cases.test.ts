import { describe, expect, it, vi } from 'vitest';
import { AlreadyExists, InvalidInput, ResourceNotFound } from '../../lambda/domain/errors';
import type { BuildItem, EnvironmentItem, FunctionItem, ServiceItem } from '../../lambda/store/items';
import { deleteDeployable, functionVersionContent, uploadVersion } from '../../lambda/use-cases/deployables';
import { createEnvironment, deploy, type EnvironmentTable, updateVariable } from '../../lambda/use-cases/environments';
import type { Stores } from '../../lambda/use-cases/ports';
import { createService, deleteService } from '../../lambda/use-cases/services';

/** Use cases against fakes: no DynamoDB, no S3, no HTTP. */

const NOW = new Date('2026-11-28T12:00:00.000Z');
const ACCOUNT = `AC${'1'.repeat(32)}`;
const SERVICE: ServiceItem = {
  sid: `ZS${'1'.repeat(32)}`,
  account_sid: ACCOUNT,
  unique_name: 'app',
  friendly_name: 'App',
  include_credentials: true,
  ui_editable: false,
  domain_base: 'app-1234',
  date_created: NOW.toISOString(),
  date_updated: NOW.toISOString(),
};
const FUNCTION: FunctionItem = {
  sid: `ZH${'1'.repeat(32)}`,
  account_sid: ACCOUNT,
  service_sid: SERVICE.sid,
  friendly_name: '/hi',
  date_created: '',
  date_updated: '',
};

/** Fake stores recording every call; each method answers what the test sets. */
function fakeStores() {
  const content = {
    put: vi.fn(async () => {}),
    markReferenced: vi.fn(async () => {}),
    get: vi.fn(async () => new Uint8Array()),
    deleteMany: vi.fn(async () => {}),
    deletePrefix: vi.fn(async () => {}),
  };
  const table = {
    insertService: vi.fn(async () => 'inserted' as const),
    update: vi.fn(async () => undefined),
    deleteService: vi.fn(async () => true),
    insert: vi.fn(async () => {}),
    insertVersion: vi.fn(async () => 'inserted' as const),
    deleteWithVersions: vi.fn(async () => [] as string[] | undefined),
  };
  const stores = { table, content: () => content } as unknown as Stores;
  return { stores, table, content };
}

describe('services', () => {
  it('a taken unique name is AlreadyExists naming it', async () => {
    const { stores, table } = fakeStores();
    table.insertService.mockResolvedValueOnce('name-taken' as never);
    await expect(createService(stores, ACCOUNT, { UniqueName: 'app', FriendlyName: 'x', IncludeCredentials: true, UiEditable: false }, NOW)).rejects.toThrow(
      new AlreadyExists("Service with UniqueName 'app' already exists"),
    );
  });

  it('deleting a service removes its items, then every object under its content prefix', async () => {
    const { stores, table, content } = fakeStores();
    await deleteService(stores, SERVICE);
    expect(table.deleteService).toHaveBeenCalledWith(SERVICE);
    expect(content.deletePrefix).toHaveBeenCalledWith(`services/${SERVICE.sid}/`);
  });

  it('deleting a service that is gone touches no content', async () => {
    const { stores, table, content } = fakeStores();
    table.deleteService.mockResolvedValueOnce(false);
    await expect(deleteService(stores, SERVICE)).rejects.toBeInstanceOf(ResourceNotFound);
    expect(content.deletePrefix).not.toHaveBeenCalled();
  });
});

describe('versions', () => {
  const request = { Path: '/hi', Visibility: 'public' as const, Content: { bytes: Buffer.from('hello'), contentType: 'text/plain' } };

  it('an upload stores the content under a SID key, then the item that points to it, then marks it referenced', async () => {
    const { stores, table, content } = fakeStores();
    const version = await uploadVersion(stores, 'function', FUNCTION, request, NOW);
    const key = `services/${SERVICE.sid}/versions/${version.sid}`;
    expect(content.put).toHaveBeenCalledWith(key, request.Content.bytes, 'text/plain', expect.any(String));
    expect(table.insertVersion).toHaveBeenCalledWith(expect.objectContaining({ object_key: key, size: 5, function_sid: FUNCTION.sid }));
    expect(content.put.mock.invocationCallOrder[0]).toBeLessThan(table.insertVersion.mock.invocationCallOrder[0]!);
    expect(content.markReferenced).toHaveBeenCalledWith(key);
  });

  it('an upload whose item cannot be written removes its content and fails', async () => {
    const { stores, table, content } = fakeStores();
    table.insertVersion.mockRejectedValueOnce(new Error('throttled'));
    await expect(uploadVersion(stores, 'asset', FUNCTION, request, NOW)).rejects.toThrow('throttled');
    const [key] = content.put.mock.calls[0] as unknown as [string];
    expect(content.deleteMany).toHaveBeenCalledWith([key]);
    expect(content.markReferenced).not.toHaveBeenCalled();
  });

  it('deleting a function deletes the content of exactly its versions', async () => {
    const { stores, table, content } = fakeStores();
    table.deleteWithVersions.mockResolvedValueOnce(['services/a/versions/1', 'services/a/versions/2']);
    await deleteDeployable(stores, 'function', FUNCTION);
    expect(content.deleteMany).toHaveBeenCalledWith(['services/a/versions/1', 'services/a/versions/2']);
  });

  it('a seeded version (no stored content) reads as empty text without touching S3', async () => {
    const { stores, content } = fakeStores();
    const text = await functionVersionContent(stores, {
      sid: 'ZN1',
      account_sid: ACCOUNT,
      service_sid: SERVICE.sid,
      function_sid: FUNCTION.sid,
      path: '/x',
      visibility: 'public',
      date_created: '',
    });
    expect(text).toBe('');
    expect(content.get).not.toHaveBeenCalled();
  });
});

describe('environments', () => {
  const table = (overrides: Partial<Record<keyof EnvironmentTable, unknown>> = {}) =>
    ({
      insertEnvironment: vi.fn(async () => 'inserted'),
      deleteEnvironment: vi.fn(async () => 'deleted'),
      insertVariable: vi.fn(async () => 'inserted'),
      updateVariable: vi.fn(async () => 'updated'),
      deleteVariable: vi.fn(async () => true),
      deploy: vi.fn(async () => 'deployed'),
      ...overrides,
    }) as unknown as EnvironmentTable & Record<string, ReturnType<typeof vi.fn>>;
  const environment: EnvironmentItem = {
    sid: `ZE${'1'.repeat(32)}`,
    account_sid: ACCOUNT,
    service_sid: SERVICE.sid,
    unique_name: 'dev-environment',
    domain_suffix: 'dev',
    domain_name: 'app-1234-dev.localhost',
    date_created: '',
    date_updated: '',
  };
  const completed = { sid: `ZB${'1'.repeat(32)}`, account_sid: ACCOUNT, service_sid: SERVICE.sid, status: 'completed' } as BuildItem;

  it('builds the domain name from the service domain base, the suffix and the functions domain', async () => {
    const created = await createEnvironment(table(), SERVICE, { UniqueName: 'dev-environment', DomainSuffix: 'Dev' }, 'functions.example.com', NOW);
    expect(created.domain_name).toBe('app-1234-dev.functions.example.com');
    const production = await createEnvironment(table(), SERVICE, { UniqueName: 'production', DomainSuffix: undefined }, 'functions.example.com', NOW);
    expect(production).toMatchObject({ domain_name: 'app-1234.functions.example.com' });
    expect(production.domain_suffix).toBeUndefined();
  });

  it('a taken domain suffix is AlreadyExists naming the suffix', async () => {
    const fake = table({ insertEnvironment: vi.fn(async () => 'suffix-taken') });
    await expect(createEnvironment(fake, SERVICE, { UniqueName: 'x', DomainSuffix: 'dev' }, 'localhost', NOW)).rejects.toThrow(/DomainSuffix 'dev'/);
  });

  it('deploys only a completed build of the same account, and gives the replaced build a new expiry', async () => {
    const fake = table();
    await expect(deploy(fake, environment, undefined, { BuildSid: completed.sid, IsPlugin: false }, 3600, NOW)).rejects.toBeInstanceOf(InvalidInput);
    await expect(deploy(fake, environment, { ...completed, status: 'building' }, { BuildSid: completed.sid, IsPlugin: false }, 3600, NOW)).rejects.toThrow(
      /BuildSid/,
    );
    await expect(
      deploy(fake, environment, { ...completed, account_sid: `AC${'2'.repeat(32)}` }, { BuildSid: completed.sid, IsPlugin: false }, 3600, NOW),
    ).rejects.toBeInstanceOf(InvalidInput);
    expect(fake.deploy).not.toHaveBeenCalled();
    const deployment = await deploy(fake, environment, completed, { BuildSid: completed.sid, IsPlugin: true }, 3600, NOW);
    expect(deployment).toMatchObject({ build_sid: completed.sid, environment_sid: environment.sid, is_plugin: true });
    expect(fake.deploy).toHaveBeenCalledWith(environment, deployment, NOW.getTime() / 1000 + 3600);
  });

  it('a variable renamed onto a taken key is AlreadyExists naming the new key', async () => {
    const fake = table({ updateVariable: vi.fn(async () => 'key-taken') });
    const variable = {
      sid: 'ZV1',
      account_sid: ACCOUNT,
      service_sid: SERVICE.sid,
      environment_sid: environment.sid,
      key: 'A',
      value: 'v',
      date_created: '',
      date_updated: '',
    };
    await expect(updateVariable(fake, variable, { Key: 'B' }, NOW)).rejects.toThrow("Variable with Key 'B' already exists");
  });
});
