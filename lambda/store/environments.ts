import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deployment, Environment, Variable } from '../domain/model';
import type { EnvironmentStore } from '../use-cases/ports';
import { releaseBuild } from './builds';
import { type ItemKey, keys, SORT_PREFIX, TABLE_KEY } from './keys';
import type { ReservationItem } from './records';
import { failedConditionAt, isConditionFailure, type Table } from './table';

/** Environments with their variables and deployments, and the builds' deployed marks they move. */
export class EnvironmentTable implements EnvironmentStore {
  constructor(private readonly table: Table) {}

  /**
   * Writes a new environment and reserves its unique name and domain suffix in the service, in
   * one transaction; which one is taken when another environment has it.
   */
  async insert(environment: Environment): Promise<'inserted' | 'name-taken' | 'suffix-taken'> {
    const reservation: ReservationItem = { sid: environment.sid };
    const puts = [
      { Put: this.table.newItem(keys.environmentName(environment.service_sid, environment.unique_name), reservation) },
      // No suffix is reserved too: a service has one environment on its bare domain base.
      { Put: this.table.newItem(keys.environmentSuffix(environment.service_sid, environment.domain_suffix ?? ''), reservation) },
      { Put: this.table.newItem(keys.environment(environment.service_sid, environment.sid), environment) },
    ];
    try {
      await this.table.client.send(new TransactWriteCommand({ TransactItems: puts }));
      return 'inserted';
    } catch (error) {
      const failed = failedConditionAt(error);
      if (failed === 0) return 'name-taken';
      if (failed === 1) return 'suffix-taken';
      throw error;
    }
  }

  /**
   * Deletes an environment with its reservations (the API forgets it at once), then its
   * variables and deployments, and lets the build it pointed to expire again if no other
   * environment points to it. `missing` when the account has no such environment, `changed` when
   * a deployment moved it since it was read (nothing is deleted then).
   */
  async delete(environment: Environment, buildExpiresAt: number): Promise<'deleted' | 'missing' | 'changed'> {
    const { service_sid: serviceSid } = environment;
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              // Only as read: a deployment committed meanwhile would leave its build marked deployed here.
              Delete: {
                TableName: this.table.name,
                Key: keys.environment(serviceSid, environment.sid),
                ConditionExpression: `account_sid = :account AND ${environment.build_sid ? 'build_sid = :build' : 'attribute_not_exists(build_sid)'}`,
                ExpressionAttributeValues: { ':account': environment.account_sid, ...(environment.build_sid ? { ':build': environment.build_sid } : {}) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Delete: { TableName: this.table.name, Key: keys.environmentName(serviceSid, environment.unique_name) } },
            { Delete: { TableName: this.table.name, Key: keys.environmentSuffix(serviceSid, environment.domain_suffix ?? '') } },
          ],
        }),
      );
    } catch (error) {
      if (failedConditionAt(error) !== 0) throw error;
      const reason = (error as { CancellationReasons?: Array<{ Item?: unknown }> }).CancellationReasons?.[0];
      return reason?.Item ? 'changed' : 'missing';
    }
    const children: ItemKey[] = [];
    for (const prefix of SORT_PREFIX.environmentChildren(environment.sid))
      children.push(...(await this.table.keysUnder(keys.servicePartition(serviceSid), prefix)));
    await this.table.batchDelete(children);
    if (environment.build_sid) {
      await this.table.client
        .send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: keys.build(serviceSid, environment.build_sid),
            UpdateExpression: 'DELETE deployed_to :environment',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
            ExpressionAttributeValues: { ':environment': new Set([environment.sid]) },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        });
      await releaseBuild(this.table, serviceSid, environment.build_sid, buildExpiresAt);
    }
    return 'deleted';
  }

  /** Writes a new variable and reserves its key in the environment; `key-taken` when another variable has it. */
  async insertVariable(variable: Variable): Promise<'inserted' | 'key-taken'> {
    const reservation: ReservationItem = { sid: variable.sid };
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.table.newItem(keys.variableKey(variable.service_sid, variable.environment_sid, variable.key), reservation) },
            { Put: this.table.newItem(keys.variable(variable.service_sid, variable.environment_sid, variable.sid), variable) },
          ],
        }),
      );
      return 'inserted';
    } catch (error) {
      if (failedConditionAt(error) === 0) return 'key-taken';
      throw error;
    }
  }

  /**
   * Writes a variable's new key and value; a new key moves its reservation in the same
   * transaction. `key-taken` when another variable of the environment has the new key, `missing`
   * when the variable is gone.
   */
  async updateVariable(current: Variable, next: Variable): Promise<'updated' | 'key-taken' | 'missing'> {
    const { service_sid: serviceSid, environment_sid: environmentSid } = current;
    const keyChanges = next.key !== current.key;
    const reservation: ReservationItem = { sid: current.sid };
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table.name,
                Item: { ...keys.variable(serviceSid, environmentSid, current.sid), ...next },
                ConditionExpression: 'account_sid = :account AND #key = :key',
                ExpressionAttributeNames: { '#key': 'key' },
                ExpressionAttributeValues: { ':account': current.account_sid, ':key': current.key },
              },
            },
            ...(keyChanges
              ? [
                  { Put: this.table.newItem(keys.variableKey(serviceSid, environmentSid, next.key), reservation) },
                  { Delete: { TableName: this.table.name, Key: keys.variableKey(serviceSid, environmentSid, current.key) } },
                ]
              : []),
          ],
        }),
      );
      return 'updated';
    } catch (error) {
      const failed = failedConditionAt(error);
      if (failed === 0) return 'missing';
      if (failed === 1) return 'key-taken';
      throw error;
    }
  }

  /** Deletes a variable and its key reservation. */
  async deleteVariable(variable: Variable): Promise<boolean> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: this.table.ownedBy(keys.variable(variable.service_sid, variable.environment_sid, variable.sid), variable.account_sid) },
            { Delete: { TableName: this.table.name, Key: keys.variableKey(variable.service_sid, variable.environment_sid, variable.key) } },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (failedConditionAt(error) === 0) return false;
      throw error;
    }
  }

  /**
   * Deploys a build into an environment in one transaction: the deployment is written, the
   * environment points to the build (unless another deployment changed it meanwhile:
   * `conflict`), the build is marked deployed there and stops expiring (unless it is no longer
   * `completed`: `not-completed`), and the previous build is no longer deployed there. The
   * previous build then expires again at `previousExpiresAt` if no environment points to it.
   */
  async deploy(environment: Environment, deployment: Deployment, previousExpiresAt: number): Promise<'deployed' | 'conflict' | 'not-completed'> {
    const { service_sid: serviceSid } = environment;
    const previous = environment.build_sid;
    const here = new Set([environment.sid]);
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.table.newItem(keys.deployment(serviceSid, environment.sid, deployment.sid), deployment) },
            {
              Update: {
                TableName: this.table.name,
                Key: keys.environment(serviceSid, environment.sid),
                UpdateExpression: 'SET build_sid = :build, date_updated = :now',
                ConditionExpression: `account_sid = :account AND ${previous ? 'build_sid = :previous' : 'attribute_not_exists(build_sid)'}`,
                ExpressionAttributeValues: {
                  ':build': deployment.build_sid,
                  ':now': deployment.date_created,
                  ':account': environment.account_sid,
                  ...(previous ? { ':previous': previous } : {}),
                },
              },
            },
            {
              Update: {
                TableName: this.table.name,
                Key: keys.build(serviceSid, deployment.build_sid),
                UpdateExpression: 'ADD deployed_to :here REMOVE expires_at',
                ConditionExpression: '#status = :completed',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':here': here, ':completed': 'completed' },
              },
            },
            ...(previous && previous !== deployment.build_sid
              ? [
                  {
                    Update: {
                      TableName: this.table.name,
                      Key: keys.build(serviceSid, previous),
                      UpdateExpression: 'DELETE deployed_to :here',
                      ConditionExpression: 'attribute_exists(#pk)',
                      ExpressionAttributeNames: { '#pk': TABLE_KEY.partitionKey },
                      ExpressionAttributeValues: { ':here': here },
                    },
                  },
                ]
              : []),
          ],
        }),
      );
    } catch (error) {
      const failed = failedConditionAt(error);
      if (failed === 1) return 'conflict';
      if (failed === 2) return 'not-completed';
      throw error;
    }
    if (previous && previous !== deployment.build_sid) await releaseBuild(this.table, serviceSid, previous, previousExpiresAt);
    return 'deployed';
  }
}
