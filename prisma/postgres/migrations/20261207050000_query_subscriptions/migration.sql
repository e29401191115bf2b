-- Query subscriptions of the EPCIS 2.0 REST binding (webhook streams) and their delivery log.

-- CreateTable
CREATE TABLE "QuerySubscription" (
    "subscriptionId" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "queryName" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "dest" TEXT NOT NULL,
    "signatureToken" TEXT,
    "createdAt" TEXT NOT NULL,
    "initialRecordTime" TEXT,
    "lastNotifiedAt" TEXT,
    "cursorKey" TEXT NOT NULL,
    "cursorEventId" TEXT NOT NULL,
    "failures" INTEGER NOT NULL,
    "nextAttemptAt" TEXT NOT NULL,
    "stoppedReason" TEXT
);

-- CreateTable
CREATE TABLE "SubscriptionDelivery" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "subscriptionId" TEXT NOT NULL,
    "attemptedAt" TEXT NOT NULL,
    "eventCount" INTEGER NOT NULL,
    "httpStatus" INTEGER,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT
);

-- CreateIndex
CREATE INDEX "QuerySubscription_consortiumId_orgId_queryName_idx" ON "QuerySubscription"("consortiumId", "orgId", "queryName");

-- CreateIndex
CREATE INDEX "QuerySubscription_nextAttemptAt_idx" ON "QuerySubscription"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "SubscriptionDelivery_subscriptionId_id_idx" ON "SubscriptionDelivery"("subscriptionId", "id");
