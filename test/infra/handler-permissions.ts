import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * What each Lambda function may do, derived from its handler's code instead of written by hand:
 * starting at `export const handler` of lambda/handlers/<entry>.ts, follow every value the code
 * references (with the TypeScript type checker, so `this.table.batchGet(…)` resolves to the
 * method, and a use case's `builds.insert(…)` on its port interface to the method of every class
 * of lambda/ that `implements` that port) and collect the AWS SDK commands it constructs
 * (`new PutCommand(…)`, and lib-dynamodb's `paginateQuery`, which sends QueryCommands); each
 * command maps to the IAM action that authorizes it. Only what is referenced counts: a module
 * imported for one function does not grant the others it defines, and a method of a store is
 * followed only where it is called.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAMBDA_DIR = join(PROJECT_ROOT, 'lambda');
export const HANDLERS_DIR = join(LAMBDA_DIR, 'handlers');

/** The resource a permission is on: the table, its `ByParent` index, the content objects, the content bucket, the build workflow. */
export type ResourceKind = 'table' | 'index' | 'objects' | 'bucket' | 'stateMachine';

export interface Permission {
  action: string;
  resource: ResourceKind;
}

/**
 * The IAM action of every AWS SDK command the handlers may use, by class name (lib-dynamodb's
 * document commands and client-dynamodb's item commands alike). A command missing here fails the
 * analysis: IAM must be reviewed before a new command ships.
 */
export const COMMAND_PERMISSIONS: Record<string, Permission> = {
  BatchGetCommand: { action: 'dynamodb:BatchGetItem', resource: 'table' },
  BatchGetItemCommand: { action: 'dynamodb:BatchGetItem', resource: 'table' },
  BatchWriteCommand: { action: 'dynamodb:BatchWriteItem', resource: 'table' },
  BatchWriteItemCommand: { action: 'dynamodb:BatchWriteItem', resource: 'table' },
  GetCommand: { action: 'dynamodb:GetItem', resource: 'table' },
  GetItemCommand: { action: 'dynamodb:GetItem', resource: 'table' },
  PutCommand: { action: 'dynamodb:PutItem', resource: 'table' },
  PutItemCommand: { action: 'dynamodb:PutItem', resource: 'table' },
  UpdateCommand: { action: 'dynamodb:UpdateItem', resource: 'table' },
  UpdateItemCommand: { action: 'dynamodb:UpdateItem', resource: 'table' },
  DeleteCommand: { action: 'dynamodb:DeleteItem', resource: 'table' },
  DeleteItemCommand: { action: 'dynamodb:DeleteItem', resource: 'table' },
  // On the table, or on the index when the request names one (see `Analysis.queries`).
  QueryCommand: { action: 'dynamodb:Query', resource: 'table' },
  ScanCommand: { action: 'dynamodb:Scan', resource: 'table' },
  PutObjectCommand: { action: 's3:PutObject', resource: 'objects' },
  PutObjectTaggingCommand: { action: 's3:PutObjectTagging', resource: 'objects' },
  GetObjectCommand: { action: 's3:GetObject', resource: 'objects' },
  DeleteObjectCommand: { action: 's3:DeleteObject', resource: 'objects' },
  // DeleteObjects is authorized object by object, as s3:DeleteObject.
  DeleteObjectsCommand: { action: 's3:DeleteObject', resource: 'objects' },
  // Listing is a bucket-level action.
  ListObjectsV2Command: { action: 's3:ListBucket', resource: 'bucket' },
  StartExecutionCommand: { action: 'states:StartExecution', resource: 'stateMachine' },
};

/** IAM authorizes a transaction as the item operations in it, each on its own. */
export const TRANSACTION_COMMANDS = new Set(['TransactWriteCommand', 'TransactWriteItemsCommand', 'TransactGetCommand', 'TransactGetItemsCommand']);
export const TRANSACTION_PART_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** SDK functions that send a command of their own, by the command they send. */
const COMMAND_FUNCTIONS: Record<string, string> = { paginateQuery: 'QueryCommand' };

/** A command the handler constructs, where. */
export interface CommandUse {
  name: string;
  at: string;
}

export interface Analysis {
  /** Every permission the handler's code needs, sorted and unique. */
  permissions: Permission[];
  /** The commands found (for error messages and the analyzer's own tests). */
  commands: CommandUse[];
  /** The lambda/ files whose code the handler reaches. */
  files: string[];
}

const DECLARATIONS_WITHOUT_CODE = new Set([
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.ImportDeclaration,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.ExportDeclaration,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.MethodSignature,
]);

const isInLambda = (file: string) => !relative(LAMBDA_DIR, file).startsWith('..') && !file.split(sep).includes('node_modules');
const position = (node: ts.Node) => {
  const source = node.getSourceFile();
  return `${relative(PROJECT_ROOT, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
};
const unwrap = (expression: ts.Expression): ts.Expression =>
  ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression) || ts.isParenthesizedExpression(expression)
    ? unwrap(expression.expression)
    : expression;

/**
 * The names of the properties assigned in a node's subtree (`{ Put: … }`, `{ IndexName }`),
 * following variables of lambda/ it reads (`TransactItems: puts`) to their initializers.
 */
function propertyNames(node: ts.Node, checker: ts.TypeChecker): string[] {
  const names: string[] = [];
  const followed = new Set<ts.Node>();
  const visit = (child: ts.Node) => {
    if ((ts.isPropertyAssignment(child) || ts.isShorthandPropertyAssignment(child)) && ts.isIdentifier(child.name)) names.push(child.name.text);
    if (ts.isIdentifier(child) && !(ts.isPropertyAssignment(child.parent) && child.parent.name === child)) {
      for (const declaration of checker.getSymbolAtLocation(child)?.declarations ?? []) {
        if (!ts.isVariableDeclaration(declaration) || !declaration.initializer || followed.has(declaration)) continue;
        if (!isInLambda(declaration.getSourceFile().fileName)) continue;
        followed.add(declaration);
        visit(declaration.initializer);
      }
    }
    ts.forEachChild(child, visit);
  };
  visit(node);
  return names;
}

/** Analyses handlers of one TypeScript program (built once: the type checker is the slow part). */
export class HandlerAnalyzer {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  private readonly cache = new Map<string, Analysis>();
  /** The class methods of lambda/ that implement each member of a port interface (`class X implements Port`). */
  private readonly implementations = new Map<ts.Declaration, ts.Declaration[]>();

  constructor(entries: readonly string[]) {
    const configFile = ts.readConfigFile(join(PROJECT_ROOT, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, PROJECT_ROOT);
    const rootNames = entries.map((entry) => join(HANDLERS_DIR, `${entry}.ts`)).filter((file) => existsSync(file));
    this.program = ts.createProgram({ rootNames, options: { ...options, noEmit: true } });
    this.checker = this.program.getTypeChecker();
    for (const source of this.program.getSourceFiles()) {
      if (isInLambda(source.fileName)) ts.forEachChild(source, (node) => this.indexImplementations(node));
    }
  }

  private indexImplementations(node: ts.Node): void {
    if (!ts.isClassDeclaration(node)) return;
    const implemented = (node.heritageClauses ?? []).filter((clause) => clause.token === ts.SyntaxKind.ImplementsKeyword).flatMap((clause) => clause.types);
    for (const type of implemented) {
      let port = this.checker.getSymbolAtLocation(type.expression);
      if (port && port.flags & ts.SymbolFlags.Alias) port = this.checker.getAliasedSymbol(port);
      port?.members?.forEach((member, name) => {
        const method = node.members.find((candidate) => candidate.name && ts.isIdentifier(candidate.name) && candidate.name.text === name);
        if (!method) return;
        for (const signature of member.declarations ?? []) this.implementations.set(signature, [...(this.implementations.get(signature) ?? []), method]);
      });
    }
  }

  analyze(entry: string): Analysis {
    const cached = this.cache.get(entry);
    if (cached) return cached;
    const file = join(HANDLERS_DIR, `${entry}.ts`);
    const source = this.program.getSourceFile(file);
    if (!source) throw new Error(`No handler lambda/handlers/${entry}.ts in the analysed program`);
    const analysis = this.walk(source);
    this.cache.set(entry, analysis);
    return analysis;
  }

  private walk(entrySource: ts.SourceFile): Analysis {
    const checker = this.checker;
    const seen = new Set<ts.Node>();
    const queue: ts.Node[] = [];
    const files = new Set<ts.SourceFile>();
    const commands = new Map<ts.Node, CommandUse>();
    /** Where the `queryAll` calls reached read: their input names an index or not. */
    const queryAllSources = new Set<'table' | 'index'>();
    /** Collections reached (object literals with `partition` and `prefix`): listed from the table or from the index. */
    const collectionSources = new Set<'table' | 'index'>();

    const enqueue = (node: ts.Node) => {
      if (seen.has(node)) return;
      seen.add(node);
      queue.push(node);
    };
    const reachFile = (source: ts.SourceFile) => {
      if (files.has(source)) return;
      files.add(source);
      // Top-level statements that run on import (not declarations: those count when referenced).
      for (const statement of source.statements) if (ts.isExpressionStatement(statement)) enqueue(statement);
    };

    const resolve = (identifier: ts.Identifier): ts.Symbol | undefined => {
      let symbol =
        ts.isShorthandPropertyAssignment(identifier.parent) && identifier.parent.name === identifier
          ? checker.getShorthandAssignmentValueSymbol(identifier.parent)
          : checker.getSymbolAtLocation(identifier);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      return symbol;
    };

    /** An identifier naming an object literal variable whose member is read (`keys.content`): only the member counts. */
    const isObjectMemberRead = (identifier: ts.Identifier): boolean => {
      const access = identifier.parent;
      if (!ts.isPropertyAccessExpression(access) || access.expression !== identifier || !ts.isIdentifier(access.name)) return false;
      const declaration = resolve(identifier)?.declarations?.[0];
      if (!declaration || !ts.isVariableDeclaration(declaration) || !declaration.initializer) return false;
      const member = resolve(access.name)?.declarations?.[0];
      return ts.isObjectLiteralExpression(unwrap(declaration.initializer)) && member !== undefined && isInLambda(member.getSourceFile().fileName);
    };

    const onIdentifier = (identifier: ts.Identifier) => {
      const symbol = resolve(identifier);
      for (const declaration of symbol?.declarations ?? []) {
        const source = declaration.getSourceFile();
        if (isInLambda(source.fileName)) {
          if (ts.isSourceFile(declaration) || isObjectMemberRead(identifier)) continue;
          reachFile(source);
          enqueue(declaration);
          for (const implementation of this.implementations.get(declaration) ?? []) {
            reachFile(implementation.getSourceFile());
            enqueue(implementation);
          }
        } else if (identifier.text in COMMAND_FUNCTIONS && ts.isCallExpression(identifier.parent) && identifier.parent.expression === identifier) {
          if (!/[\\/]@aws-sdk[\\/]/.test(source.fileName)) continue;
          commands.set(identifier.parent, { name: COMMAND_FUNCTIONS[identifier.text]!, at: position(identifier) });
        } else if (/Command$/.test(identifier.text) && ts.isNewExpression(identifier.parent) && identifier.parent.expression === identifier) {
          if (!/[\\/]@aws-sdk[\\/]/.test(source.fileName)) continue;
          commands.set(identifier.parent, { name: identifier.text, at: position(identifier) });
        }
      }
    };

    const visit = (node: ts.Node): void => {
      if (ts.isTypeNode(node) || DECLARATIONS_WITHOUT_CODE.has(node.kind)) return;
      if (ts.isClassLike(node)) {
        // A class runs its constructor and field initializers when constructed; a method only when called.
        for (const member of node.members) {
          if (ts.isMethodDeclaration(member) || ts.isAccessor(member)) continue;
          visit(member);
        }
        for (const clause of node.heritageClauses ?? []) for (const type of clause.types) visit(type.expression);
        return;
      }
      if (ts.isObjectLiteralExpression(node)) {
        const names = node.properties.map((property) => (property.name && ts.isIdentifier(property.name) ? property.name.text : ''));
        if (names.includes('partition') && names.includes('prefix')) {
          const byParent = node.properties.find((property) => property.name && ts.isIdentifier(property.name) && property.name.text === 'byParent');
          collectionSources.add(byParent && ts.isPropertyAssignment(byParent) && byParent.initializer.kind === ts.SyntaxKind.TrueKeyword ? 'index' : 'table');
        }
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'queryAll') {
        queryAllSources.add(node.arguments.some((argument) => propertyNames(argument, checker).includes('IndexName')) ? 'index' : 'table');
      }
      if (ts.isIdentifier(node)) onIdentifier(node);
      ts.forEachChild(node, visit);
    };

    reachFile(entrySource);
    const moduleSymbol = checker.getSymbolAtLocation(entrySource);
    const handler = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((symbol) => symbol.name === 'handler');
    if (!handler?.declarations?.length) throw new Error(`${relative(PROJECT_ROOT, entrySource.fileName)} exports no handler`);
    for (const declaration of handler.declarations) enqueue(declaration);
    for (let node = queue.pop(); node; node = queue.pop()) visit(node);

    const permissions: Permission[] = [];
    for (const [node, command] of commands) {
      if (TRANSACTION_COMMANDS.has(command.name)) {
        const parts = propertyNames(node, checker).filter((name) => name in TRANSACTION_PART_ACTIONS);
        if (parts.length === 0)
          throw new Error(`Cannot see the operations of the ${command.name} at ${command.at}: build its items in the call or in a local variable`);
        for (const part of parts) permissions.push({ action: TRANSACTION_PART_ACTIONS[part]!, resource: 'table' });
        continue;
      }
      const permission = COMMAND_PERMISSIONS[command.name];
      if (!permission) throw new Error(`No IAM action known for ${command.name} (${command.at}): add it to COMMAND_PERMISSIONS and review the stack`);
      if (command.name === 'QueryCommand' && ts.isCallExpression(node)) {
        // Table.queryAll's paginator: its callers' input says whether it reads the table or the index.
        for (const resource of queryAllSources.size > 0 ? queryAllSources : ['table' as const]) permissions.push({ action: permission.action, resource });
      } else if (command.name === 'QueryCommand' && propertyNames(node, checker).includes('IndexName')) {
        // queryPage: the collection says whether it reads the table or the index.
        if (collectionSources.size === 0) throw new Error(`The Query at ${command.at} may read an index, but no collection is reached`);
        for (const resource of collectionSources) permissions.push({ action: permission.action, resource });
      } else {
        permissions.push(permission);
      }
    }
    const unique = new Map(permissions.map((permission) => [`${permission.action} ${permission.resource}`, permission]));
    return {
      permissions: [...unique.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, permission]) => permission),
      commands: [...commands.values()].sort((a, b) => a.at.localeCompare(b.at)),
      files: [...files].map((file) => relative(PROJECT_ROOT, file.fileName)).sort(),
    };
  }
}
