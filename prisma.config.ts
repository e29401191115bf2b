// Prisma CLI configuration (Prisma 7). The service applies the migrations itself at start-up;
// `prisma migrate deploy` works too where Prisma's schema engine can be downloaded. A
// postgresql:// DATABASE_URL selects the PostgreSQL schema and migrations (prisma/postgres/).
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL ?? 'file:./data/provenant.db';
const postgres = /^postgres(ql)?:\/\//i.test(url);

export default defineConfig({
  schema: postgres ? 'prisma/postgres/schema.prisma' : 'prisma/schema.prisma',
  migrations: { path: postgres ? 'prisma/postgres/migrations' : 'prisma/migrations' },
  datasource: { url },
});
