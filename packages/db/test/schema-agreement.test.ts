// The migrations in prisma/migrations and prisma/schema.prisma must describe
// the same database: `prisma migrate diff` needs Prisma's downloaded engine, so
// this test reads schema.prisma with Prisma's own parser (WebAssembly, offline)
// and compares it with what the migrator produced in a real MariaDB or MySQL.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import internals from '@prisma/internals';
import mariadb from 'mariadb';
import t from 'tap';
import { migrate, parseDatabaseUrl } from '@sms/db';
import { baseConfig, dropDatabase, uniqueName } from '@sms/testing';

const SCHEMA = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

interface Column {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: 'YES' | 'NO';
}
interface IndexColumn {
  TABLE_NAME: string;
  INDEX_NAME: string;
  NON_UNIQUE: number | bigint;
  COLUMN_NAME: string;
}
interface ForeignKey {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  REFERENCED_TABLE_NAME: string;
  REFERENCED_COLUMN_NAME: string;
  DELETE_RULE: string;
}

const ON_DELETE: Record<string, string> = {
  Cascade: 'CASCADE',
  SetNull: 'SET NULL',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
};

t.test('the migrated database matches schema.prisma', async (t) => {
  const url = new URL(baseConfig().DATABASE_URL);
  url.pathname = `/${uniqueName('sms_agree')}`;
  t.teardown(() => dropDatabase(url.toString()));
  await migrate({ databaseUrl: url.toString() });

  const conn = await mariadb.createConnection(parseDatabaseUrl(url.toString()));
  t.teardown(() => conn.end());
  const columns: Column[] = await conn.query(
    "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations'",
  );
  const indexColumns: IndexColumn[] = await conn.query(
    "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> '_prisma_migrations' ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
  );
  const foreignKeys: ForeignKey[] = await conn.query(
    `SELECT k.TABLE_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.DELETE_RULE
     FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r
       ON r.CONSTRAINT_SCHEMA = k.TABLE_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
     WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL`,
  );

  const { datamodel } = await internals.getDMMF({ datamodel: await readFile(SCHEMA, 'utf8') });
  const enums = new Map(datamodel.enums.map((e) => [e.name, e.values.map((v) => v.dbName ?? v.name)]));
  const tableOf = new Map(datamodel.models.map((m) => [m.name, m.dbName ?? m.name]));

  const expectedColumns: string[] = [];
  const expectedIndexes: string[] = [];
  const expectedForeignKeys: string[] = [];

  for (const model of datamodel.models) {
    const table = tableOf.get(model.name)!;
    const columnOf = new Map(model.fields.map((f) => [f.name, f.dbName ?? f.name]));
    for (const field of model.fields) {
      if (field.kind === 'scalar' || field.kind === 'enum') {
        const [native, args] = (field.nativeType ?? []) as [string?, string[]?];
        let type: string;
        if (field.kind === 'enum')
          type = `enum(${enums
            .get(field.type)!
            .map((v) => `'${v}'`)
            .join(',')})`;
        else if (field.type === 'Boolean') type = 'tinyint(1)';
        else if (field.type === 'Int') type = 'int';
        else if (native) type = `${native.toLowerCase()}${args?.length ? `(${args.join(',')})` : ''}`;
        else throw new Error(`${model.name}.${field.name}: give it a @db native type so the test can check it`);
        expectedColumns.push(
          `${table}.${field.dbName ?? field.name} ${type} ${field.isRequired ? 'NOT NULL' : 'NULL'}`,
        );
      }
      if (field.kind === 'object' && field.relationFromFields?.length) {
        const target = datamodel.models.find((m) => m.name === field.type)!;
        field.relationFromFields.forEach((from, i) => {
          const to = field.relationToFields![i]!;
          const toColumn = target.fields.find((f) => f.name === to)!;
          expectedForeignKeys.push(
            `${table}.${columnOf.get(from)} -> ${tableOf.get(target.name)}.${toColumn.dbName ?? to} ON DELETE ${ON_DELETE[field.relationOnDelete ?? 'Restrict'] ?? field.relationOnDelete}`,
          );
        });
      }
    }
  }
  for (const index of datamodel.indexes) {
    const model = datamodel.models.find((m) => m.name === index.model)!;
    const cols = index.fields.map((f) => model.fields.find((x) => x.name === f.name)!).map((f) => f.dbName ?? f.name);
    const name = index.type === 'id' ? 'PRIMARY' : index.dbName;
    expectedIndexes.push(
      `${tableOf.get(model.name)} ${name} ${index.type === 'normal' ? 'INDEX' : 'UNIQUE'} (${cols.join(',')})`,
    );
  }

  // MariaDB reports an INT column as int(11); MySQL 8.0.19+ dropped integer
  // display widths (except tinyint(1)) and reports int: compare without it.
  const columnType = (type: string) => type.replace(/^int\(\d+\)/, 'int');
  const actualColumns = columns.map(
    (c) =>
      `${c.TABLE_NAME}.${c.COLUMN_NAME} ${columnType(c.COLUMN_TYPE)} ${c.IS_NULLABLE === 'YES' ? 'NULL' : 'NOT NULL'}`,
  );
  const grouped = new Map<string, { table: string; name: string; unique: boolean; cols: string[] }>();
  for (const ic of indexColumns) {
    const key = `${ic.TABLE_NAME}.${ic.INDEX_NAME}`;
    const entry = grouped.get(key) ?? {
      table: ic.TABLE_NAME,
      name: ic.INDEX_NAME,
      unique: Number(ic.NON_UNIQUE) === 0,
      cols: [],
    };
    entry.cols.push(ic.COLUMN_NAME);
    grouped.set(key, entry);
  }
  const actualIndexes = [...grouped.values()].map(
    (i) => `${i.table} ${i.name} ${i.unique ? 'UNIQUE' : 'INDEX'} (${i.cols.join(',')})`,
  );
  const actualForeignKeys = foreignKeys.map(
    (f) =>
      `${f.TABLE_NAME}.${f.COLUMN_NAME} -> ${f.REFERENCED_TABLE_NAME}.${f.REFERENCED_COLUMN_NAME} ON DELETE ${f.DELETE_RULE}`,
  );

  t.same(actualColumns.sort(), expectedColumns.sort(), 'every column: name, type, nullability');
  t.same(actualIndexes.sort(), expectedIndexes.sort(), 'every primary key, unique constraint and index');
  t.same(actualForeignKeys.sort(), expectedForeignKeys.sort(), 'every foreign key and its ON DELETE');
  t.same(
    [...new Set(columns.map((c) => c.TABLE_NAME))].sort(),
    [...tableOf.values()].sort(),
    'every table, and no other',
  );
});
