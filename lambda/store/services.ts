import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Service } from '../domain/model';
import type { ServiceChanges, ServiceStore } from '../use-cases/ports';
import { keys } from './keys';
import type { ServiceNameItem } from './records';
import { failedConditionAt, type Table } from './table';

/** Services, and the reservations of their unique names within their account. */
export class ServiceTable implements ServiceStore {
  constructor(private readonly table: Table) {}

  /**
   * Writes a new service and reserves its unique name in the account, in one transaction: both
   * land or neither. `name-taken` when another service of the account has the name.
   */
  async insert(service: Service): Promise<'inserted' | 'name-taken'> {
    const name: ServiceNameItem = { service_sid: service.sid };
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: this.table.newItem(keys.serviceName(service.account_sid, service.unique_name), name) },
            { Put: this.table.newItem(keys.service(service.account_sid, service.sid), service) },
          ],
        }),
      );
      return 'inserted';
    } catch (error) {
      if (failedConditionAt(error) === 0) return 'name-taken';
      throw error;
    }
  }

  /** The SID of the account's service with this unique name, if any. */
  async findSid(accountSid: string, uniqueName: string): Promise<string | undefined> {
    const result = await this.table.client.send(new GetCommand({ TableName: this.table.name, Key: keys.serviceName(accountSid, uniqueName) }));
    return (result.Item as ServiceNameItem | undefined)?.service_sid;
  }

  update(service: Service, changes: ServiceChanges): Promise<Service | undefined> {
    return this.table.update<Service>(keys.service(service.account_sid, service.sid), service.account_sid, changes);
  }

  /**
   * Deletes a service and its name reservation (the API forgets the service at once: every route
   * reads it first), then everything in its partition: functions, assets, versions, builds,
   * environments and theirs. False when the account has no such service.
   */
  async delete(service: Service): Promise<boolean> {
    try {
      await this.table.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: this.table.ownedBy(keys.service(service.account_sid, service.sid), service.account_sid) },
            { Delete: { TableName: this.table.name, Key: keys.serviceName(service.account_sid, service.unique_name) } },
          ],
        }),
      );
    } catch (error) {
      if (failedConditionAt(error) === 0) return false;
      throw error;
    }
    await this.table.batchDelete(await this.table.keysUnder(keys.servicePartition(service.sid)));
    return true;
  }
}
