/** `provenant network init|provision`: a consortium run as one node per organisation over NATS JetStream. */
import type { Command } from 'commander';
import { initNetwork } from '../../services/node/network-init.js';
import { JetStreamOrdering } from '../../platform/ordering/jetstream-ordering.js';
import { resolveOrderingSettings } from '../../platform/ordering/ordering-settings.js';
import { CliUsageError } from './errors.js';

export function registerNetworkCommands(program: Command): void {
  const network = program.command('network').description('a consortium run as one node per organisation, over NATS JetStream');

  network
    .command('init')
    .description('write one data directory per authority organisation (its own keys only), the shared genesis, and the NATS users')
    .requiredOption('--dir <dir>', 'a new, empty directory')
    .option('--orgs <n>', 'authority organisations, each running a node (1 to 7)', (v) => Number(v), 4)
    .option('--no-members', "leave out the demo's member organisations (farms, abattoir, …), hosted by the authority nodes")
    .option('--consortium <id>', 'consortium id')
    .action((opts: { dir: string; orgs: number; members: boolean; consortium?: string }) => {
      const plan = initNetwork({ dir: opts.dir, orgs: opts.orgs, members: opts.members, consortium: opts.consortium });
      console.log(`consortium ${plan.consortium}, genesis ${plan.genesisHash}`);
      console.log(`genesis block (public keys only): ${plan.genesisFile}`);
      console.log(`NATS users (include in every nats-server config): ${plan.natsUsersFile}`);
      for (const node of plan.nodes) {
        console.log(`node of ${node.org}: ${node.dataDir}${node.hosts.length > 0 ? ` (hosts ${node.hosts.join(', ')})` : ''}; NATS user ${node.natsUser}, settings in node.env`);
      }
      console.log('next: start 3 nats-servers with those users, run "provenant network provision", then "provenant start --data <dir> --ordering <urls>" for each node');
    });

  network
    .command('provision')
    .description("create the consortium's JetStream stream (or check an existing one's settings), as the NATS operator user")
    .requiredOption('--consortium <id>', 'consortium id')
    .requiredOption('--ordering <urls>', 'NATS server URLs, comma-separated')
    .requiredOption('--nats-user <user>', 'the operator user')
    .option('--nats-password <password>', 'its password (or NATS_OPERATOR_PASSWORD)')
    .option('--nats-creds <file>', 'its NKey seed file, instead of a password')
    .option('--replicas <n>', 'servers holding a copy (1, 3 or 5)', (v) => Number(v), 3)
    .action(async (opts: { consortium: string; ordering: string; natsUser: string; natsPassword?: string; natsCreds?: string; replicas: number }) => {
      const settings = resolveOrderingSettings({
        url: opts.ordering,
        user: opts.natsUser,
        password: opts.natsPassword ?? (opts.natsCreds ? undefined : process.env.NATS_OPERATOR_PASSWORD),
        credsFile: opts.natsCreds,
      });
      if (!settings) throw new CliUsageError('--ordering is required');
      const ordering = await JetStreamOrdering.connect({ ...settings, appendDeadlineMs: 10_000 });
      try {
        const info = await ordering.provision(opts.consortium, { replicas: opts.replicas });
        console.log(`stream for ${opts.consortium}: ${info.replicas} replicas, ${info.messages} messages, leader ${info.cluster.leader ?? '(none)'}`);
      } finally {
        await ordering.close();
      }
    });
}
