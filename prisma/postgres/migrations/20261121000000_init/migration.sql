-- CreateTable
CREATE TABLE "Consortium" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "genesisHash" TEXT NOT NULL,
    "quorumNumerator" INTEGER NOT NULL,
    "quorumDenominator" INTEGER NOT NULL,
    "createdAt" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Block" (
    "consortiumId" TEXT NOT NULL,
    "height" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "previousHash" TEXT NOT NULL,
    "merkleRoot" TEXT NOT NULL,
    "recordCount" INTEGER NOT NULL,
    "logSize" INTEGER NOT NULL,
    "timestamp" TEXT NOT NULL,
    "authoritySetHash" TEXT NOT NULL,
    "header" TEXT NOT NULL,
    "seals" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "height")
);

-- CreateTable
CREATE TABLE "LedgerRecord" (
    "hash" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "logIndex" INTEGER NOT NULL,
    "blockHeight" INTEGER,
    "indexInBlock" INTEGER,
    "kind" TEXT NOT NULL,
    "signer" TEXT NOT NULL,
    "signedAt" TEXT NOT NULL,
    "receivedAt" TEXT NOT NULL,
    "body" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Checkpoint" (
    "consortiumId" TEXT NOT NULL,
    "logSize" INTEGER NOT NULL,
    "logRoot" TEXT NOT NULL,
    "blockHeight" INTEGER NOT NULL,
    "blockHash" TEXT NOT NULL,
    "timestamp" TEXT NOT NULL,
    "signatures" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "logSize")
);

-- CreateTable
CREATE TABLE "Organisation" (
    "consortiumId" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "roles" TEXT NOT NULL,
    "identifiers" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "isAuthority" BOOLEAN NOT NULL DEFAULT false,

    PRIMARY KEY ("consortiumId", "id")
);

-- CreateTable
CREATE TABLE "OrgIdentifier" (
    "consortiumId" TEXT NOT NULL,
    "scheme" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "scheme", "value")
);

-- CreateTable
CREATE TABLE "OrgKey" (
    "keyId" TEXT NOT NULL,
    "consortiumId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "addedAtLogIndex" INTEGER NOT NULL,
    "endedAtLogIndex" INTEGER,

    PRIMARY KEY ("consortiumId", "keyId")
);

-- CreateTable
CREATE TABLE "Device" (
    "consortiumId" TEXT NOT NULL,
    "deviceId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "keyId" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "registeredAtLogIndex" INTEGER NOT NULL,
    "revokedAtLogIndex" INTEGER,
    "attributes" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "deviceId")
);

-- CreateTable
CREATE TABLE "EpcisEvent" (
    "consortiumId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "recordHash" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "eventTime" TEXT NOT NULL,
    "action" TEXT,
    "bizStep" TEXT,
    "disposition" TEXT,
    "readPoint" TEXT,
    "bizLocation" TEXT,
    "submitterOrg" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "eventId")
);

-- CreateTable
CREATE TABLE "EventIdentifier" (
    "consortiumId" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "eventTime" TEXT NOT NULL,

    PRIMARY KEY ("consortiumId", "identifier", "eventId", "role")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "tokenHash" TEXT NOT NULL PRIMARY KEY,
    "consortiumId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "createdAt" TEXT NOT NULL,
    "revokedAt" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "Consortium_genesisHash_key" ON "Consortium"("genesisHash");

-- CreateIndex
CREATE UNIQUE INDEX "Block_hash_key" ON "Block"("hash");

-- CreateIndex
CREATE INDEX "LedgerRecord_consortiumId_blockHeight_indexInBlock_idx" ON "LedgerRecord"("consortiumId", "blockHeight", "indexInBlock");

-- CreateIndex
CREATE INDEX "LedgerRecord_consortiumId_kind_idx" ON "LedgerRecord"("consortiumId", "kind");

-- CreateIndex
CREATE INDEX "LedgerRecord_signer_idx" ON "LedgerRecord"("signer");

-- CreateIndex
CREATE UNIQUE INDEX "LedgerRecord_consortiumId_logIndex_key" ON "LedgerRecord"("consortiumId", "logIndex");

-- CreateIndex
CREATE INDEX "OrgIdentifier_consortiumId_orgId_idx" ON "OrgIdentifier"("consortiumId", "orgId");

-- CreateIndex
CREATE INDEX "OrgKey_consortiumId_orgId_idx" ON "OrgKey"("consortiumId", "orgId");

-- CreateIndex
CREATE INDEX "Device_consortiumId_keyId_idx" ON "Device"("consortiumId", "keyId");

-- CreateIndex
CREATE INDEX "EpcisEvent_recordHash_idx" ON "EpcisEvent"("recordHash");

-- CreateIndex
CREATE INDEX "EpcisEvent_consortiumId_eventTime_idx" ON "EpcisEvent"("consortiumId", "eventTime");

-- CreateIndex
CREATE INDEX "EventIdentifier_consortiumId_eventId_idx" ON "EventIdentifier"("consortiumId", "eventId");

-- CreateIndex
CREATE INDEX "ApiToken_consortiumId_orgId_idx" ON "ApiToken"("consortiumId", "orgId");
