// Prisma CLI configuration (Prisma 7). The service applies prisma/migrations itself at start-up;
// `prisma migrate deploy` works too where Prisma's schema engine can be downloaded.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'file:./data/provenant.db' },
});
