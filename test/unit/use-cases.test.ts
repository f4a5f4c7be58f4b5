import { describe, expect, it, vi } from 'vitest';
import { AlreadyExists, InvalidInput, ResourceNotFound } from '../../lambda/domain/errors';
import type { Build, Deployable, Environment, Service } from '../../lambda/domain/model';
import { deleteDeployable, functionVersionContent, uploadVersion } from '../../lambda/use-cases/deployables';
import { createEnvironment, deploy, updateVariable } from '../../lambda/use-cases/environments';
import type { EnvironmentStore } from '../../lambda/use-cases/ports';
import { createService, deleteService } from '../../lambda/use-cases/services';
import { ACCOUNT as ACCOUNT_FIXTURE, serviceRecord } from '../support/fixtures';

/** Use cases against fakes: no DynamoDB, no S3, no HTTP. */

const NOW = new Date('2026-11-28T12:00:00.000Z');
const ACCOUNT = ACCOUNT_FIXTURE.sid;
const SERVICE: Service = serviceRecord(NOW);
const FUNCTION: Deployable = {
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
    put: vi.fn(async (serviceSid: string, versionSid: string, _content: unknown) => `services/${serviceSid}/versions/${versionSid}`),
    markReferenced: vi.fn(async () => {}),
    get: vi.fn(async () => new Uint8Array()),
    deleteMany: vi.fn(async () => {}),
    deleteService: vi.fn(async () => {}),
  };
  const services = {
    insert: vi.fn(async () => 'inserted' as const),
    update: vi.fn(async () => undefined),
    delete: vi.fn(async () => true),
  };
  const deployables = {
    insert: vi.fn(async () => {}),
    rename: vi.fn(async () => undefined),
    delete: vi.fn(async () => [] as string[] | undefined),
    insertVersion: vi.fn(async () => 'inserted' as const),
  };
  return { stores: { services, deployables, content: () => content }, services, deployables, content };
}

describe('services', () => {
  it('a taken unique name is AlreadyExists naming it', async () => {
    const { services } = fakeStores();
    services.insert.mockResolvedValueOnce('name-taken' as never);
    await expect(createService(services, ACCOUNT, { UniqueName: 'app', FriendlyName: 'x', IncludeCredentials: true, UiEditable: false }, NOW)).rejects.toThrow(
      new AlreadyExists("Service with UniqueName 'app' already exists"),
    );
  });

  it('deleting a service removes its items, then its content', async () => {
    const { stores, services, content } = fakeStores();
    await deleteService(stores, SERVICE);
    expect(services.delete).toHaveBeenCalledWith(SERVICE);
    expect(content.deleteService).toHaveBeenCalledWith(SERVICE.sid);
    expect(services.delete.mock.invocationCallOrder[0]).toBeLessThan(content.deleteService.mock.invocationCallOrder[0]!);
  });

  it('deleting a service that is gone touches no content', async () => {
    const { stores, services, content } = fakeStores();
    services.delete.mockResolvedValueOnce(false);
    await expect(deleteService(stores, SERVICE)).rejects.toBeInstanceOf(ResourceNotFound);
    expect(content.deleteService).not.toHaveBeenCalled();
  });
});

describe('versions', () => {
  const request = { Path: '/hi', Visibility: 'public' as const, Content: { bytes: Buffer.from('hello'), contentType: 'text/plain' } };

  it('an upload stores the content under a SID key, then the item that points to it, then marks it referenced', async () => {
    const { stores, deployables, content } = fakeStores();
    const version = await uploadVersion(stores, 'function', FUNCTION, request, NOW);
    const key = `services/${SERVICE.sid}/versions/${version.sid}`;
    expect(content.put).toHaveBeenCalledWith(SERVICE.sid, version.sid, {
      bytes: request.Content.bytes,
      contentType: 'text/plain',
      sha256Base64: expect.any(String),
    });
    expect(deployables.insertVersion).toHaveBeenCalledWith(expect.objectContaining({ object_key: key, size: 5, function_sid: FUNCTION.sid }));
    expect(content.put.mock.invocationCallOrder[0]).toBeLessThan(deployables.insertVersion.mock.invocationCallOrder[0]!);
    expect(content.markReferenced).toHaveBeenCalledWith(key);
  });

  it('an upload whose item cannot be written removes its content and fails', async () => {
    const { stores, deployables, content } = fakeStores();
    deployables.insertVersion.mockRejectedValueOnce(new Error('throttled'));
    await expect(uploadVersion(stores, 'asset', FUNCTION, request, NOW)).rejects.toThrow('throttled');
    const key = await content.put.mock.results[0]!.value;
    expect(content.deleteMany).toHaveBeenCalledWith([key]);
    expect(content.markReferenced).not.toHaveBeenCalled();
  });

  it('deleting a function deletes the content of exactly its versions', async () => {
    const { stores, deployables, content } = fakeStores();
    deployables.delete.mockResolvedValueOnce(['services/a/versions/1', 'services/a/versions/2']);
    await deleteDeployable(stores, 'function', FUNCTION);
    expect(content.deleteMany).toHaveBeenCalledWith(['services/a/versions/1', 'services/a/versions/2']);
  });

  it('a seeded version (no stored content) reads as empty text without touching S3', async () => {
    const { stores, content } = fakeStores();
    const text = await functionVersionContent(stores.content, {
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
  const table = (overrides: Partial<Record<keyof EnvironmentStore, unknown>> = {}) =>
    ({
      insert: vi.fn(async () => 'inserted'),
      delete: vi.fn(async () => 'deleted'),
      insertVariable: vi.fn(async () => 'inserted'),
      updateVariable: vi.fn(async () => 'updated'),
      deleteVariable: vi.fn(async () => true),
      deploy: vi.fn(async () => 'deployed'),
      ...overrides,
    }) as unknown as EnvironmentStore & Record<string, ReturnType<typeof vi.fn>>;
  const environment: Environment = {
    sid: `ZE${'1'.repeat(32)}`,
    account_sid: ACCOUNT,
    service_sid: SERVICE.sid,
    unique_name: 'dev-environment',
    domain_suffix: 'dev',
    domain_name: 'app-1234-dev.localhost',
    date_created: '',
    date_updated: '',
  };
  const completed = { sid: `ZB${'1'.repeat(32)}`, account_sid: ACCOUNT, service_sid: SERVICE.sid, status: 'completed' } as Build;

  it('builds the domain name from the service domain base, the suffix and the functions domain', async () => {
    const created = await createEnvironment(table(), SERVICE, { UniqueName: 'dev-environment', DomainSuffix: 'Dev' }, 'functions.example.com', NOW);
    expect(created.domain_name).toBe('app-1234-dev.functions.example.com');
    const production = await createEnvironment(table(), SERVICE, { UniqueName: 'production', DomainSuffix: undefined }, 'functions.example.com', NOW);
    expect(production).toMatchObject({ domain_name: 'app-1234.functions.example.com' });
    expect(production.domain_suffix).toBeUndefined();
  });

  it('a taken domain suffix is AlreadyExists naming the suffix', async () => {
    const fake = table({ insert: vi.fn(async () => 'suffix-taken') });
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
