-- Scheduled webhook query subscriptions: the posted schedule (JSON object of its field texts; null
-- for a stream), reportIfEmpty, and the pages delivered so far in the run under way.

-- AlterTable
ALTER TABLE "QuerySubscription" ADD COLUMN "schedule" TEXT;
ALTER TABLE "QuerySubscription" ADD COLUMN "reportIfEmpty" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "QuerySubscription" ADD COLUMN "runDelivered" INTEGER NOT NULL DEFAULT 0;
