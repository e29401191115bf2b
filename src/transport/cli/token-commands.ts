/** `provenant token issue|revoke|list`: API tokens for member organisations. */
import type { Command } from 'commander';
import { loadConfig } from '../../platform/config.js';
import { issueToken, listTokens, revokeToken } from '../../services/admin.js';

export function registerTokenCommands(program: Command): Command {
  const token = program.command('token').description('API tokens for member organisations (GraphQL and HTTP API)');

  token
    .command('issue')
    .description('issue an API token for an organisation; the token is printed once and stored only hashed')
    .requiredOption('--consortium <id>', 'consortium id')
    .requiredOption('--org <org>', 'organisation id')
    .option('--label <label>', 'what the token is for', 'api')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { consortium: string; org: string; label: string; data?: string }) => {
      const issued = await issueToken(loadConfig({ dataDir: opts.data }), opts.consortium, opts.org, opts.label);
      console.log(JSON.stringify({ token: issued.token, tokenHash: issued.tokenHash, consortium: issued.consortiumId, org: issued.orgId, label: issued.label }, null, 2));
      console.error('store this token now: it is not shown again');
    });

  token
    .command('revoke')
    .description('revoke an API token, given the token or its hash')
    .argument('<tokenOrHash>', 'the token (pvn_...) or its hash as listed')
    .option('--data <dir>', 'data directory')
    .action(async (tokenOrHash: string, opts: { data?: string }) => {
      const row = await revokeToken(loadConfig({ dataDir: opts.data }), tokenOrHash);
      console.log(`revoked token ${row.tokenHash} (${row.consortiumId}/${row.orgId}, "${row.label}") at ${row.revokedAt}`);
    });

  token
    .command('list')
    .description('list token hashes of a consortium (optionally one organisation)')
    .requiredOption('--consortium <id>', 'consortium id')
    .option('--org <org>', 'organisation id')
    .option('--data <dir>', 'data directory')
    .action(async (opts: { consortium: string; org?: string; data?: string }) => {
      const rows = await listTokens(loadConfig({ dataDir: opts.data }), opts.consortium, opts.org);
      console.log(JSON.stringify(rows, null, 2));
    });

  return token;
}
