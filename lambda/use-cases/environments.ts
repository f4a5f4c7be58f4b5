import { AlreadyExists, InvalidInput, ResourceNotFound } from '../domain/errors';
import type { Build, Deployment, Environment, Service, Variable } from '../domain/model';
import { newDeployment, newEnvironment, newVariable } from '../domain/resources';
import type { CreateDeploymentRequest, CreateEnvironmentRequest, CreateVariableRequest, UpdateVariableRequest } from '../domain/schema';
import type { EnvironmentStore } from './ports';

/** Creates an environment; AlreadyExists when the service has one of the same unique name or domain suffix. */
export async function createEnvironment(
  environments: EnvironmentStore,
  service: Service,
  request: CreateEnvironmentRequest,
  functionsDomain: string,
  now: Date,
): Promise<Environment> {
  const environment = newEnvironment(service, request, functionsDomain, now);
  const outcome = await environments.insert(environment);
  if (outcome === 'name-taken') throw new AlreadyExists(`Environment with UniqueName '${request.UniqueName}' already exists`);
  if (outcome === 'suffix-taken') throw new AlreadyExists(`Environment with DomainSuffix '${request.DomainSuffix}' already exists`);
  return environment;
}

/** Deletes an environment, its variables and deployments; its build expires after `buildTtlSeconds` unless deployed elsewhere. */
export async function deleteEnvironment(environments: EnvironmentStore, environment: Environment, buildTtlSeconds: number, now: Date): Promise<void> {
  const expiresAt = Math.floor(now.getTime() / 1000) + buildTtlSeconds;
  const outcome = await environments.delete(environment, expiresAt);
  if (outcome === 'missing') throw new ResourceNotFound(environment.sid);
  if (outcome === 'changed') throw new AlreadyExists(`Environment ${environment.sid} was changed by a deployment meanwhile: retry`);
}

/** Creates a variable; AlreadyExists when the environment has one of the same key. */
export async function createVariable(environments: EnvironmentStore, environment: Environment, request: CreateVariableRequest, now: Date): Promise<Variable> {
  const variable = newVariable(environment, request, now);
  if ((await environments.insertVariable(variable)) === 'key-taken') throw new AlreadyExists(`Variable with Key '${request.Key}' already exists`);
  return variable;
}

/** Changes a variable's key, value or both; AlreadyExists when another variable has the new key. */
export async function updateVariable(environments: EnvironmentStore, current: Variable, request: UpdateVariableRequest, now: Date): Promise<Variable> {
  const next: Variable = { ...current, key: request.Key ?? current.key, value: request.Value ?? current.value, date_updated: now.toISOString() };
  const outcome = await environments.updateVariable(current, next);
  if (outcome === 'key-taken') throw new AlreadyExists(`Variable with Key '${next.key}' already exists`);
  if (outcome === 'missing') throw new ResourceNotFound(current.sid);
  return next;
}

/** Deletes a variable. */
export async function deleteVariable(environments: EnvironmentStore, variable: Variable): Promise<void> {
  if (!(await environments.deleteVariable(variable))) throw new ResourceNotFound(variable.sid);
}

/**
 * Deploys a completed build of the service into an environment: the environment's `build_sid`
 * becomes the build, which then never expires while deployed; the build it replaces expires
 * after `buildTtlSeconds` unless another environment still points to it.
 */
export async function deploy(
  environments: EnvironmentStore,
  environment: Environment,
  build: Build | undefined,
  request: CreateDeploymentRequest,
  buildTtlSeconds: number,
  now: Date,
): Promise<Deployment> {
  const deployment = newDeployment(environment, build, request, now);
  const outcome = await environments.deploy(environment, deployment, Math.floor(now.getTime() / 1000) + buildTtlSeconds);
  if (outcome === 'conflict') throw new AlreadyExists(`Environment ${environment.sid} was changed by another deployment: retry`);
  if (outcome === 'not-completed') throw new InvalidInput(`Invalid BuildSid: ${request.BuildSid} is not a completed build of this service`);
  return deployment;
}
