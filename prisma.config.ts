// Prisma CLI configuration (generate, studio). The URL only matters for
// `prisma studio`; scripts/prisma.ts passes the service's DATABASE_URL.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/sms_settings' },
});
